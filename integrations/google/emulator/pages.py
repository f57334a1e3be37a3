"""The HTML of the consent and error pages (Jinja, autoescaped)."""

from __future__ import annotations

CONSENT_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in - Google Accounts (emulator)</title>
</head><body>
<h1>{{ client.name }} wants to access your Google Account</h1>
<p>Client: <code id="client-id">{{ client.client_id }}</code></p>
<form method="post" action="{{ action }}">
  {% for name, value in params.items() %}
  <input type="hidden" name="{{ name }}" value="{{ value }}">
  {% endfor %}
  <label>Account
    <select name="user">
      {% for user in users %}
      <option value="{{ user }}"{% if user == hint %} selected{% endif %}>{{ user }}</option>
      {% endfor %}
    </select>
  </label>
  <fieldset><legend>Select what {{ client.name }} can access</legend>
    {% for scope in scopes %}
    <label><input type="checkbox" name="granted" value="{{ scope }}" checked>
      {{ scope }}</label><br>
    {% endfor %}
  </fieldset>
  <button type="submit" name="decision" value="deny">Cancel</button>
  <button type="submit" name="decision" value="allow">Continue</button>
</form>
</body></html>
"""

ERROR_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Error {{ error }}</title></head><body>
<h1>Access blocked: this app's request is invalid</h1>
<p>Error: <code id="error">{{ error }}</code></p>
<p>{{ detail }}</p>
</body></html>
"""

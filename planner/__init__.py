"""Connection Planner: finds protected connection time for couples."""

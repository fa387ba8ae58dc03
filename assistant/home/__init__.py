"""The loops: one session, the always-on runner, the house of rooms and its Wyoming satellites; may import every layer below (not app or cli)."""

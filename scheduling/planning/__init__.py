"""Adapters between the clinic's rows and the planning engine (scheduling/engine/template.py,
fitmein.py, planner.py): they read, build the engine's plain dataclasses and translate its
answers back. Writes stay in scheduling/services (template, fitmein, planner)."""

"""Run control: the one `Run` of a process (its state and phases), its plan, how it stops."""

"""Workers: functions that do SIMPLE tasks, and the TaskHandler that runs them on threads."""

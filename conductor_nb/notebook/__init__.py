"""The notebook layer: diagrams of workflows and executions (`conductor_nb.notebook.diagrams`), loaded on use."""

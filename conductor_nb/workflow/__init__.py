"""The workflow DSL and the executor that runs what it builds."""

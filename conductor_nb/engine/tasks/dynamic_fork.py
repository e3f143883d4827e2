"""FORK_JOIN_DYNAMIC: a fork whose branches (one task each) are computed from the task's input at run time."""

from __future__ import annotations

from typing import Optional

from ...models import Task, WorkflowTask
from .base import TaskKind, TerminateWorkflow, complete
from .fork_join import schedule_join


class DynamicFork(TaskKind):
    type_name = "FORK_JOIN_DYNAMIC"
    retriable = False

    def schedule(self, ctx, wt: WorkflowTask, retry_of: Optional[Task] = None) -> list[Task]:
        inputs = ctx.resolve(wt.input_parameters or {})
        branches = self.branches(wt, inputs)
        fork = ctx.new_task(wt, "FORK", retry_of, task_def_name="FORK")
        fork.input_data = {"forkedTasks": [b.task_reference_name for b, _ in branches],
                           "forkedTaskDefs": [b.to_dict() for b, _ in branches]}
        fork.start_time = fork.end_time = ctx.now
        complete(fork)
        ctx.add(fork)
        for branch, branch_input in branches:
            # The branch's input is already resolved; it joins the branch's own inputParameters, as in Conductor.
            branch.input_parameters = {**(branch.input_parameters or {}), **branch_input}
            ctx.schedule(branch)
        schedule_join(ctx, wt)
        join = ctx.state.task(ctx.state.index.next_task(wt.task_reference_name).task_reference_name)
        join.input_data["joinOn"] = [b.task_reference_name for b, _ in branches]
        return [fork]

    def branches(self, wt: WorkflowTask, inputs: dict) -> list[tuple[WorkflowTask, dict]]:
        """(task, input) per branch, from whichever of Conductor's three input forms the task uses."""
        if "forkTaskName" in inputs or "forkTaskWorkflow" in inputs:
            return self._simple_form(inputs)
        if wt.dynamic_fork_tasks_param:
            tasks = inputs.get(wt.dynamic_fork_tasks_param)
            task_inputs = inputs.get(wt.dynamic_fork_tasks_input_param_name or "", {}) or {}
            if not isinstance(tasks, list):
                raise TerminateWorkflow(f"Input '{wt.dynamic_fork_tasks_param}' of dynamic fork "
                                        f"{wt.task_reference_name} must be a list of tasks, got {tasks!r}")
            out = []
            for t in tasks:
                branch = WorkflowTask.from_dict(t) if isinstance(t, dict) else t
                out.append((branch, dict(task_inputs.get(branch.task_reference_name) or {})))
            return out
        if wt.dynamic_fork_join_tasks_param:
            spec = inputs.get(wt.dynamic_fork_join_tasks_param) or {}
            out = []
            for item in spec.get("dynamicTasks", []):
                branch = WorkflowTask(name=item.get("taskName"), task_reference_name=item.get("referenceName"),
                                      type=item.get("type") or "SIMPLE")
                if item.get("workflowName"):
                    branch.type = "SUB_WORKFLOW"
                    branch.sub_workflow_param = {"name": item["workflowName"]}
                out.append((branch, dict(item.get("input") or {})))
            return out
        raise TerminateWorkflow(f"Dynamic fork {wt.task_reference_name} has no dynamic tasks input: set "
                                "dynamicForkTasksParam, forkTaskName/forkTaskInputs, or dynamicForkJoinTasksParam")

    @staticmethod
    def _simple_form(inputs: dict) -> list[tuple[WorkflowTask, dict]]:
        items = inputs.get("forkTaskInputs") or []
        if not isinstance(items, list):
            raise TerminateWorkflow(f"forkTaskInputs must be a list, got {items!r}")
        workflow = inputs.get("forkTaskWorkflow")
        name = workflow or inputs.get("forkTaskName")
        out = []
        for i, item in enumerate(items):
            branch_input = dict(item) if isinstance(item, dict) else {"input": item}
            branch_input["__index"] = i
            branch = WorkflowTask(name=name, task_reference_name=f"_{name}_{i}",
                                  type=inputs.get("forkTaskType") or "SIMPLE")
            if workflow:
                from ...models import SubWorkflowParams

                branch.type = "SUB_WORKFLOW"
                branch.sub_workflow_param = SubWorkflowParams(name=workflow,
                                                              version=inputs.get("forkTaskWorkflowVersion"))
            out.append((branch, branch_input))
        return out

"""The agents a workspace may start sessions with."""

from __future__ import annotations

from fastapi import APIRouter, Path

from cortex.agents import Agent
from cortex.api_models import AgentOut
from cortex.exceptions import UnknownAgentError
from cortex.models import describe_model
from cortex.server._errors import ApiError
from cortex.server.routes._common import ERRORS, CanRead, State

router = APIRouter(tags=["agents"], responses=ERRORS)


def agent_out(agent: Agent) -> AgentOut:
    """An agent as the API shows it."""
    return AgentOut(
        name=agent.name,
        version=agent.version,
        instructions=agent.instructions,
        model=None if agent.model is None else describe_model(agent.model),
        tools=[t.name for t in agent.tools],
        max_iterations=agent.max_iterations,
    )


@router.get("/workspaces/{workspace_id}/agents", response_model=list[AgentOut])
async def list_agents(_: CanRead, state: State) -> list[AgentOut]:
    """Every agent definition this server runs."""
    return [agent_out(a) for a in state.runtime.agents.agents()]


@router.get("/workspaces/{workspace_id}/agents/{name}", response_model=AgentOut)
async def get_agent(_: CanRead, state: State, name: str = Path(min_length=1, max_length=200)) -> AgentOut:
    """One agent definition (its newest version)."""
    try:
        return agent_out(state.runtime.agents.get(name))
    except UnknownAgentError as exc:
        raise ApiError(404, str(exc)) from exc

"""The ConductorAPI over HTTP: HttpConductor talks to Conductor OSS, Orkes, or `conductor-nb server`."""

from .client import HttpConductor

__all__ = ["HttpConductor"]

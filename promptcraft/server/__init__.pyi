"""The public names of this package, listed once: its ``__init__`` loads them lazily from here."""

from .app import create_app as create_app
from .run import serve as serve
from .scheduler import Scheduler as Scheduler, SchedulerStats as SchedulerStats
from .settings import ServerSettings as ServerSettings

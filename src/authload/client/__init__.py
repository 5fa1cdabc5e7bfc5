"""httpx clients: the REST admin client and an SDK-like chat session.

They serve the CLI's admin actions, the tests and programmatic use; the load
path runs on Locust's FastHttpSession instead (see `authload.locust`). Both
run the flows of `authload.protocol` through one small driver.
"""

from ._admin import AdminClient
from ._chat import ChatSession, LoginListener
from ._driver import run_flow

__all__ = ["AdminClient", "ChatSession", "LoginListener", "run_flow"]

"""MyDbEngine-compatible names for custom type handlers.

Code written for the seed imports ``from dbengine.handlers import BaseInlineHandler,
BaseRefHandler, handlers`` and calls ``handlers.register_handler(h)``; with strata the import
becomes ``from strata.handlers import …`` and nothing else changes.
"""

from .values import InlineHandler as BaseInlineHandler
from .values import RefHandler as BaseRefHandler
from .values import (InlineHandler, RefHandler, HandlerRegistry, handlers, register_handler,
                     unregister_handler)

__all__ = ["BaseInlineHandler", "BaseRefHandler", "InlineHandler", "RefHandler",
           "HandlerRegistry", "handlers", "register_handler", "unregister_handler"]

"""DbEngine: the seeds' API (DbEngine / MyDbEngine) on top of strata.

Same method names and argument order as the seeds, so ``from strata import DbEngine`` is the
only change a user of the seed makes. Differences (docs/python.md, "Differences from the
seeds"): digests are strata commit digests (the same value saved twice is one commit, not two);
names are data, never file paths; ``get(key=None)`` returns a list like the seed (values in key
order, keys lost) while ``get_all`` returns the dict; metadata (__parent__, __user__, __date__)
lives in commits (``commit(tenant, digest)``), not inside the loaded object.
"""

import os

from .db import Database
from .errors import InvalidArgument, NotFound
from .values import HandlerRegistry


class DbEngine:
    """A versioned, multi-tenant store with the seeds' interface.

    ``DbEngine(root=".strata")`` opens (creating) the strata database in directory ``root``.
    Extra keyword arguments go to strata.open (durability, handlers, float_numbers, …).
    Thread-safe; closes with ``close()`` or as a context manager."""

    def __init__(self, root=".strata", **options):
        self.root = root
        if options.get("create", True) and not options.get("read_only", False):
            parent = os.path.dirname(os.path.abspath(os.fspath(root)))
            os.makedirs(parent, exist_ok=True)  # the seed creates its root's parents too
        self.db = Database(root, **options)

    def close(self):
        self.db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    # -- tenants ----------------------------------------------------------------------------

    def init(self, tenant_id):
        """Create the tenant (nothing happens when it exists)."""
        self.db.init_tenant(tenant_id)

    def is_initialized(self, tenant_id):
        return self.db.tenant_exists(tenant_id)

    # -- snapshots --------------------------------------------------------------------------

    def save(self, tenant_id, user_id, entry, obj):
        """Save ``obj`` as the new version of ``entry``; returns the commit digest (hex)."""
        return str(self.db.save(tenant_id, entry, obj, user=user_id))

    def load(self, tenant_id, entry, digest=None):
        """The entry's object at its head or at commit ``digest``. A records entry (built
        with put/put_many) loads as the dict key → value."""
        if self.db.kind(tenant_id, entry, at=digest) == "records":
            return self.db.get_all(tenant_id, entry, at=digest)
        return self.db.load(tenant_id, entry, at=digest)

    # -- records ----------------------------------------------------------------------------

    def put(self, tenant_id, user_id, entry, key, value):
        """Set one record; True when a new commit was made (False: it held this value)."""
        return self.db.put(tenant_id, entry, key, value, user=user_id).changed

    def put_many(self, tenant_id, user_id, entry, items):
        """Set several records in one commit; ``items`` is a dict, a list of (key, value)
        pairs, or a list of objects with get_key(). True when a new commit was made."""
        return self.db.put_many(tenant_id, entry, items, user=user_id).changed

    def get(self, tenant_id, entry, key=None, digest=None):
        """One record (NotFound when missing), or with key None every record's value as a
        list in key order (the seed's behaviour; the keys are lost — use get_all for a
        dict)."""
        if key is None:
            return list(self.db.get_all(tenant_id, entry, at=digest).values())
        return self.db.get(tenant_id, entry, key, at=digest)

    def get_all(self, tenant_id, entry, digest=None):
        """Every record as a dict key → value (what get(key=None) loses)."""
        return self.db.get_all(tenant_id, entry, at=digest)

    def delete(self, tenant_id, user_id, entry, key):
        """Delete one record; True when a new commit was made."""
        return self.db.delete(tenant_id, entry, key, user=user_id).changed

    def exists(self, tenant_id, entry):
        """True when the entry exists (False also for a tenant that does not)."""
        return self.db.exists(tenant_id, entry)

    # -- history ----------------------------------------------------------------------------

    def history(self, tenant_id, entry, digest=None, max_items=1000):
        """Digests of the entry's commits, newest first, from ``digest`` (None: the head), at
        most ``max_items`` (None: all)."""
        if max_items is None:  # no limit
            max_items = 0
        elif not isinstance(max_items, int) or max_items < 0:
            raise InvalidArgument("max_items must be an int >= 0 or None")
        elif max_items == 0:
            return []
        return [c.digest for c in self.db.history(tenant_id, entry, digest, max_items)]

    def get_digest(self, tenant_id, entry):
        """The entry's current commit digest, or None when the entry does not exist."""
        try:
            return self.db.head(tenant_id, entry)
        except NotFound:
            return None

    def commit(self, tenant_id, digest):
        """The strata Commit behind a digest: user, time, message, operation, parents (the
        seed's __user__, __date__ and __parent__ metadata)."""
        return self.db.commit(tenant_id, digest)

    # MyDbEngine's handler registry, for code that registers through the engine.
    @property
    def handlers(self):
        return self.db._registry


__all__ = ["DbEngine", "HandlerRegistry"]

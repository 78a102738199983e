"""Change listeners: the Database methods over strata_listener_* (listen, unlisten,
listener_failures). A listener is called on the committing thread after each durable commit."""

from ._ffi import ffi, lib
from ._util import c_int, decode, decode_or_absent
from .errors import InvalidArgument, check


class ListenerMethods:
    """Database methods: listeners (mixed into strata.db.Database)."""

    def listen(self, fn):
        """Call ``fn(tenant, entry, key, old, new)`` once per changed item after each durable
        commit, on the committing thread (key: records → str, tables → dict of key attributes,
        documents → None; old/new ABSENT on creation/deletion). An exception in ``fn`` is
        counted (listener_failures) and ignored. Returns an id for unlisten."""
        if not callable(fn):
            raise InvalidArgument("listener must be callable")
        decoder_cache = {}

        def trampoline(tenant_c, entry_c, key, old, new, payload):
            try:
                tenant_b = ffi.string(tenant_c)
                dec = decoder_cache.get(tenant_b)
                if dec is None:
                    dec = decoder_cache[tenant_b] = self._decoder(tenant_b)
                fn(tenant_b.decode("utf-8"), ffi.string(entry_c).decode("utf-8"),
                   None if key == ffi.NULL else decode(key, dec),
                   decode_or_absent(old, dec), decode_or_absent(new, dec))
                return 0
            except BaseException:  # counted by the library; never propagates into C
                return 1

        cb = ffi.callback("strata_listener_fn", trampoline)
        out = ffi.new("uint64_t *")
        check(self._call(lambda db: lib.strata_listener_add(out, db, cb, ffi.NULL)))
        with self._lock:
            self._listeners[out[0]] = cb  # keeps the C callback alive
        return out[0]

    def unlisten(self, listener_id):
        """Remove a listener registered with listen (NotFound for an unknown id)."""
        listener_id = c_int(listener_id, "listener id", "uint64_t")
        check(self._call(lambda db: lib.strata_listener_remove(db, listener_id)))
        with self._lock:
            self._listeners.pop(listener_id, None)

    def listener_failures(self):
        """How many listener calls failed (raised) since the database was opened."""
        return self._call(lib.strata_listener_failures)

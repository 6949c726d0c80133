"""Core: settings of the running ``liangshai`` process itself (made once, by `cli.run`)."""

from __future__ import annotations

import gc
import sys

M_ARENA_MAX = -8  # glibc's mallopt parameter (malloc.h)


def one_malloc_arena() -> bool:
    """Every thread's mallocs in the one arena (glibc ``mallopt(M_ARENA_MAX, 1)``); True when set.

    glibc gives a thread that allocates beside another an arena of its own, and
    memory freed in one arena is never reused by another. The search index's
    threads read Pagefind's answers (megabytes each) after the build has freed
    its page contexts: in arenas of their own they added ~23 MB to a full
    re-index's peak at 10,000 posts, in the shared one ~1 MB. Python allocates
    under the GIL anyway, so one arena costs no parallelism. Called before any
    thread starts; anything but glibc (no ``mallopt``) is left as it is.
    """
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(M_ARENA_MAX, 1))


_freeze_after_pauses = False  # set once, by `one_build_process`


def one_build_process() -> None:
    """This process builds once and exits (``liangshai build``, by `set_up`): see `resume_gc`."""
    global _freeze_after_pauses
    _freeze_after_pauses = True


def resume_gc(freeze: bool = False) -> None:
    """Turn the cyclic garbage collector on again after a pause (`write.state.gc_paused`).

    What a build allocates with the collector paused to keep (``freeze``: the
    loaded state, the plan) lives until the process ends. Once the collector is
    on again, its next collections walk all of it, for nothing: ~0.3 s at
    50,000 posts. In a process that builds once and exits, ``gc.freeze`` then
    moves every object the collector tracks at that moment (those, and
    whatever else is alive then, rarely a garbage cycle that would have been
    collected) out of its reach for good; reference counting still frees what
    is dropped. A process that builds again and again (``serve``, the tests)
    never freezes: a cycle a later build drops would never be collected.
    """
    if freeze and _freeze_after_pauses:
        gc.freeze()
    gc.enable()


def set_up(one_build: bool) -> None:
    """The settings of a ``liangshai`` process, before anything else runs (`cli.run`); ``one_build``: the
    command is ``build``, which builds once and exits (nothing it keeps need be walked by the GC again)."""
    one_malloc_arena()
    if one_build:
        one_build_process()

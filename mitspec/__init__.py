"""mitspec: the Mechanistic Invariance Test as experiments-as-code.

The Python API (mitspec/api.py): `mitspec.compile(spec) -> Plan`, `mitspec.run(plan,
models=[...]) -> Run`, `mitspec.Plan.load(dir)`, `mitspec.Run.load(plan)`. Loaded on
first use, so `import mitspec` (and the CLI) stay light."""
__version__ = "0.1.0"

_API = ("compile", "run", "scorers", "Plan", "Run")


def __getattr__(name: str):
    if name in _API:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'mitspec' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_API])

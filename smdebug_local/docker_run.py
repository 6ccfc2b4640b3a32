"""Pure conversion between docker-py ``containers.run`` keyword arguments and a compose
service dict, so a container started without compose (SDK ``ModelBuilder``'s) is made
debuggable by the same rules as a compose service (:func:`~smdebug_local.compose.
transform_service`).

docker-py takes ``volumes`` as ``{host: {"bind": ctr, "mode": m}}`` or ``["host:ctr:m"]``,
``ports`` as ``{"8080/tcp": 8080 | None | (ip, port) | [port, ...]}``, ``environment``,
``labels`` and ``extra_hosts`` as mappings or lists. The service form is compose's: volume
and port strings, environment values in compose syntax (``$`` written ``$$``). Only those
keys are converted; every other argument is passed through untouched.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .compose import env_to_dict

CONVERTED = ("volumes", "ports", "environment", "labels", "extra_hosts")


def debuggable(kwargs: Mapping[str, Any]) -> bool:
    """False for a container on the host's network: it cannot publish a port on loopback,
    and a debugger listening there would be open to every machine."""
    return kwargs.get("network_mode") != "host"


def _volume_strings(volumes: Any) -> list[str]:
    if isinstance(volumes, Mapping):
        out = []
        for host, spec in volumes.items():
            if isinstance(spec, Mapping):
                mode = spec.get("mode")
                out.append(f"{host}:{spec['bind']}" + (f":{mode}" if mode else ""))
            else:
                out.append(f"{host}:{spec}")
        return out
    return [str(v) for v in volumes or []]


def _port_strings(ports: Mapping | None) -> list[str]:
    out = []
    for container, published in (ports or {}).items():
        port = str(container).removesuffix("/tcp")
        for one in published if isinstance(published, list) else [published]:
            if one is None:
                out.append(port)
            elif isinstance(one, tuple):
                ip, host = (one[0], "") if len(one) == 1 else (one[0], one[1])
                out.append(f"{ip}:{host}:{port}")
            else:
                out.append(f"{one}:{port}")
    return out


def _ports_from_strings(specs: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for spec in specs:
        parts = str(spec).split(":")
        key = parts[-1] if "/" in parts[-1] else f"{parts[-1]}/tcp"
        value: Any
        if len(parts) == 1:
            value = None
        elif len(parts) == 2:
            value = int(parts[0])
        else:
            value = (":".join(parts[:-2]), int(parts[-2]) if parts[-2] else None)
            value = value if value[1] is not None else (value[0],)
        if key in out:
            previous = out[key]
            out[key] = [*(previous if isinstance(previous, list) else [previous]), value]
        else:
            out[key] = value
    return out


def _escape(value: str) -> str:
    return value.replace("$", "$$")


def _unescape(value: str) -> str:
    return value.replace("$$", "$")


def to_service(kwargs: Mapping[str, Any], name: str) -> dict:
    """The compose service equivalent of ``containers.run(**kwargs)`` (converted keys only)."""
    service: dict[str, Any] = {"container_name": name}
    if kwargs.get("volumes"):
        service["volumes"] = _volume_strings(kwargs["volumes"])
    if kwargs.get("ports"):
        service["ports"] = _port_strings(kwargs["ports"])
    service["environment"] = {
        k: _escape(v) for k, v in env_to_dict(kwargs.get("environment")).items()
    }
    if kwargs.get("labels"):
        service["labels"] = (
            dict(kwargs["labels"])
            if isinstance(kwargs["labels"], Mapping)
            else {str(k): "" for k in kwargs["labels"]}
        )
    if kwargs.get("extra_hosts"):
        hosts = kwargs["extra_hosts"]
        service["extra_hosts"] = dict(hosts) if isinstance(hosts, Mapping) else list(hosts)
    return service


def to_run_kwargs(service: Mapping[str, Any], kwargs: Mapping[str, Any]) -> dict:
    """``kwargs`` with the converted keys taken from ``service`` (the debuggable version)."""
    out = {k: v for k, v in kwargs.items() if k not in CONVERTED}
    out["name"] = kwargs.get("name") or service["container_name"]
    if service.get("volumes"):
        out["volumes"] = list(service["volumes"])
    if service.get("ports"):
        out["ports"] = _ports_from_strings(list(service["ports"]))
    out["environment"] = {
        k: _unescape(v) for k, v in env_to_dict(service.get("environment")).items()
    }
    labels = service.get("labels")
    if labels:
        out["labels"] = (
            dict(labels)
            if isinstance(labels, Mapping)
            else dict(str(item).partition("=")[::2] for item in labels)
        )
    hosts = service.get("extra_hosts")
    if hosts:
        out["extra_hosts"] = (
            dict(hosts)
            if isinstance(hosts, Mapping)
            else dict(str(item).partition(":")[::2] for item in hosts)
        )
    return out

"""smdebug-local's values for ML data in the debugger: tensors and arrays that say what they are.

Plain debugpy shows a tensor as its repr (``tensor([[-0.1825, 1.2207, ...``): no shape, no
dtype, no device, and for a GPU tensor a device-to-host copy of its summary on every
Variables refresh. In the debugged process, :func:`install` puts providers first in
pydevd's extension lists (``_pydevd_bundle.pydevd_extension_api``: a
``StrPresentationProvider`` and a ``TypeResolveProvider``) so that Variables, hover and
watch show::

    Tensor[4096, 4096] float32 cpu  [[-0.1825, 1.221, 0.3517, ...], ...]

for ``torch.Tensor``, NumPy ``ndarray``, pandas ``DataFrame``/``Series`` and TensorFlow
tensors and variables, and expanding one offers a ``[stats]`` child whose min, max, mean
and NaN/Inf counts are computed only when it is expanded, by the library on the data's own
device (only scalars reach the host), over at most :data:`STATS_LIMIT` elements (an evenly
strided sample of a larger one, which the child says). The preview copies at most
:data:`PREVIEW` elements.

A library is recognised only if the user's code imported it (``sys.modules``): this module
imports none. Stdlib only, Python 3.8 syntax; any failure leaves pydevd's own presentation.
"""

import sys

# The elements the preview shows: the first ones of the first innermost row.
PREVIEW = 6
# The most elements the statistics read; larger data is sampled along its axes (strided
# views, no copy), so a huge tensor never stalls the debugger.
STATS_LIMIT = 1 << 20
# What a [stats] child says before it is expanded.
STATS_HINT = "expand: min, max, mean, NaN/Inf of %s"
STATS_NAME = "[stats]"


def _say(message):
    sys.stderr.write("smdebug-local: %s\n" % message)
    sys.stderr.flush()


# ---------------------------------------------------------------- pure formatting


def number(value):
    """One element as the preview shows it: 4 significant digits for floats."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return "%.4g" % value
    if isinstance(value, complex):
        return "%.4g%+.4gj" % (value.real, value.imag)
    if isinstance(value, int):
        return str(value)
    text = repr(value)
    return text if len(text) <= 20 else text[:19] + "…"


def preview(shape, head):
    """The nested preview of data of ``shape`` whose first innermost row starts with the
    values ``head``: ``[[1, 2, …], …]``; a scalar for no dimensions."""
    if not shape:
        return number(head[0]) if head else ""
    items = [number(v) for v in head]
    if shape[-1] > len(head):
        items.append("…")
    text = "[%s]" % ", ".join(items)
    for size in reversed(shape[:-1]):
        text = "[%s%s]" % (text, ", …" if size > 1 else "")
    return text


def header(kind, shape, dtype, device=None, flags=()):
    """``Tensor[4096, 4096] float32 cpu``: what the value is, before any element."""
    words = ["%s[%s]" % (kind, ", ".join(str(s) for s in shape)), dtype]
    if device:
        words.append(device)
    return " ".join(words + list(flags))


def describe(kind, shape, dtype, device=None, flags=(), head=None):
    """The whole value: the header, then (two spaces) the preview if there is one."""
    text = header(kind, shape, dtype, device, flags)
    if head is not None:
        text += "  " + preview(shape, head)
    return text


def head_index(shape, count=PREVIEW):
    """The index of the first ``count`` elements of the first innermost row: ``(0, 0,
    slice(0, count))``; ``()`` for a scalar."""
    if not shape:
        return ()
    return (*([0] * (len(shape) - 1)), slice(0, count))


def sample_steps(shape, limit=STATS_LIMIT):
    """Per axis, the step of the strided view the statistics read: all 1 when the data
    has at most ``limit`` elements; else the leading axes are thinned first (rows stay
    contiguous), each by just enough, until at most ``limit`` elements are left."""
    steps = [1] * len(shape)
    total = 1
    for size in shape:
        total *= size
    for axis, size in enumerate(shape):
        if total <= limit:
            break
        if size <= 1:
            continue
        step = min(size, -(-total // limit))
        kept = -(-size // step)
        total = total // size * kept
        steps[axis] = step
    return steps


def sample_index(steps):
    """The index (slices) of the strided view ``sample_steps`` describes."""
    return tuple(slice(None, None, s) for s in steps)


def elements(shape):
    total = 1
    for size in shape:
        total *= size
    return total


def coverage(shape, steps):
    """What the statistics were computed over, in words."""
    total = elements(shape)
    if all(s == 1 for s in steps):
        return "all %s elements" % format(total, ",")
    sampled = 1
    for size, step in zip(shape, steps):
        sampled *= -(-size // step)
    strides = ", ".join(
        "every %s%s on axis %d" % (step, _ordinal(step), axis)
        for axis, step in enumerate(steps)
        if step > 1
    )
    return "a sample: %s of %s elements (%s)" % (format(sampled, ","), format(total, ","), strides)


def _ordinal(n):
    if n % 100 in (11, 12, 13):
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def stats_entries(counts):
    """The [stats] child's children, in order, from what a library computed: ``kind``
    ("float", "complex", "int", "bool"), ``over`` and the numbers."""
    entries = []
    if counts.get("empty"):
        return [("over", "no elements")]
    for key in ("min", "max", "mean", "true", "NaN", "Inf"):
        if key in counts:
            entries.append((key, counts[key]))
    if counts.get("finite_only"):
        entries.append(("note", "min, max and mean of the finite elements"))
    entries.append(("over", counts["over"]))
    return entries


def short_device(device):
    """TensorFlow's device string, as short as torch's: ``GPU:0`` for
    ``/job:localhost/replica:0/task:0/device:GPU:0``."""
    text = str(device or "")
    return text.rsplit("device:", 1)[-1] if "device:" in text else text


# ---------------------------------------------------------------- the libraries


def _leading(fetch):
    """The preview's values from ``fetch()``, or None if the library refuses (a dtype
    without a Python conversion): the header alone is still worth showing."""
    try:
        return _flat(fetch())[:PREVIEW]
    except Exception:
        return None


def _flat(values):
    """The leading scalars of a nested list (``matrix.tolist()`` keeps its 2 dimensions)."""
    while isinstance(values, list) and values and isinstance(values[0], list):
        values = values[0]
    return values if isinstance(values, list) else [values]


class Torch(object):
    """torch.Tensor and nn.Parameter (other subclasses -- DTensor, fake tensors -- may
    run collectives or have no data: their header only)."""

    module = "torch"

    def matches(self, type_object):
        torch = sys.modules.get("torch")
        base = getattr(torch, "Tensor", None)
        return isinstance(base, type) and issubclass(type_object, base)

    def _plain(self, x):
        torch = sys.modules["torch"]
        parameter = getattr(getattr(torch, "nn", None), "Parameter", None)
        return type(x) is torch.Tensor or (parameter is not None and type(x) is parameter)

    def _has_data(self, x):
        torch = sys.modules["torch"]
        return self._plain(x) and x.layout == torch.strided and not x.is_meta and not x.is_quantized

    def shape(self, x):
        return tuple(int(s) for s in x.shape)

    def value(self, x):
        shape = self.shape(x)
        dtype = str(x.dtype).replace("torch.", "")
        flags = []
        layout = str(x.layout).replace("torch.", "")
        if layout != "strided":
            flags.append(layout)
        if x.requires_grad:
            flags.append("requires_grad")
        head = None
        if self._has_data(x) and elements(shape):
            head = _leading(lambda: x.detach()[head_index(shape)].tolist())
        return describe(type(x).__name__, shape, dtype, str(x.device), flags, head)

    def stats(self, x):
        torch = sys.modules["torch"]
        if not self._has_data(x):
            return None
        shape = self.shape(x)
        if not elements(shape):
            return {"empty": True}
        steps = sample_steps(shape)
        with torch.no_grad():
            data = x.detach()[sample_index(steps)] if shape else x.detach()
            out = {"over": coverage(shape, steps)}
            if data.dtype == torch.bool:
                out["true"] = int(data.sum().item())
                return out
            if data.is_complex():
                out["mean"] = complex(data.mean().item())
                out["NaN"] = int(data.isnan().sum().item())
                out["Inf"] = int(data.isinf().sum().item())
                return out
            if data.is_floating_point():
                out["NaN"] = int(data.isnan().sum().item())
                out["Inf"] = int(data.isinf().sum().item())
                if out["NaN"] or out["Inf"]:
                    data = data[data.isfinite()]
                    out["finite_only"] = True
                    if not data.numel():
                        return out
            out["min"] = data.min().item()
            out["max"] = data.max().item()
            out["mean"] = data.to(torch.float64).mean().item()
        return out


class NumPy(object):
    """numpy.ndarray and its subclasses (memmap, masked arrays, matrix)."""

    module = "numpy"

    def matches(self, type_object):
        base = getattr(sys.modules.get("numpy"), "ndarray", None)
        return isinstance(base, type) and issubclass(type_object, base)

    def value(self, x):
        shape = tuple(int(s) for s in x.shape)
        head = None
        if elements(shape):
            part = x[head_index(shape)]
            head = _leading(lambda: part.tolist() if hasattr(part, "tolist") else part)
        return describe(type(x).__name__, shape, str(x.dtype), None, (), head)

    def stats(self, x):
        numpy = sys.modules["numpy"]
        shape = tuple(int(s) for s in x.shape)
        if not elements(shape):
            return {"empty": True}
        kind = x.dtype.kind
        if kind not in "biufc":
            return None
        steps = sample_steps(shape)
        data = numpy.asarray(x[sample_index(steps)] if shape else x)
        out = {"over": coverage(shape, steps)}
        if kind == "b":
            out["true"] = int(numpy.count_nonzero(data))
            return out
        if kind in "fc":
            out["NaN"] = int(numpy.count_nonzero(numpy.isnan(data)))
            out["Inf"] = int(numpy.count_nonzero(numpy.isinf(data)))
            if kind == "c":
                out["mean"] = complex(data.mean(dtype=numpy.complex128))
                return out
            if out["NaN"] or out["Inf"]:
                data = data[numpy.isfinite(data)]
                out["finite_only"] = True
                if not data.size:
                    return out
        out["min"] = data.min().item()
        out["max"] = data.max().item()
        out["mean"] = float(data.mean(dtype=numpy.float64))
        return out


class Pandas(object):
    """pandas DataFrame (shape and the first columns' dtypes) and Series (length, dtype,
    name, the first values); a Series of a NumPy dtype has statistics too."""

    module = "pandas"
    COLUMNS = 4

    def matches(self, type_object):
        pandas = sys.modules.get("pandas")
        bases = tuple(
            b
            for b in (getattr(pandas, "DataFrame", None), getattr(pandas, "Series", None))
            if isinstance(b, type)
        )
        return bool(bases) and issubclass(type_object, bases)

    def _is_frame(self, x):
        return isinstance(x, sys.modules["pandas"].DataFrame)

    def value(self, x):
        shape = tuple(int(s) for s in x.shape)
        if self._is_frame(x):
            columns = list(x.columns[: self.COLUMNS])
            dtypes = x.dtypes.iloc[: self.COLUMNS]
            parts = ["%s %s" % (c, d) for c, d in zip(columns, dtypes)]
            if shape[1] > self.COLUMNS:
                parts.append("…")
            return "%s[%d, %d]  %s" % (type(x).__name__, shape[0], shape[1], ", ".join(parts))
        flags = [] if x.name is None else ["name=%r" % (x.name,)]
        head = _leading(lambda: x.iloc[:PREVIEW].tolist()) if shape[0] else None
        return describe(type(x).__name__, shape, str(x.dtype), None, flags, head)

    def stats(self, x):
        numpy = sys.modules.get("numpy")
        if self._is_frame(x) or numpy is None:
            return None
        values = x.values
        if not isinstance(values, numpy.ndarray):
            return None  # an extension array (categorical, nullable): no numeric view
        return NumPy().stats(values)


class TensorFlow(object):
    """tf.Tensor (eager: a preview; symbolic: the header) and tf.Variable."""

    module = "tensorflow"

    def _bases(self):
        tf = sys.modules.get("tensorflow")
        found = (getattr(tf, "Tensor", None), getattr(tf, "Variable", None))
        return tuple(b for b in found if isinstance(b, type))

    def matches(self, type_object):
        bases = self._bases()
        return bool(bases) and issubclass(type_object, bases)

    def value(self, x):
        tf = sys.modules["tensorflow"]
        dims = x.shape.as_list() if x.shape.rank is not None else None
        kind = "Variable" if isinstance(x, tf.Variable) else "Tensor"
        if dims is None:
            return "%s[?] %s" % (kind, x.dtype.name)
        shape = tuple("?" if d is None else d for d in dims)
        head = None
        if None not in dims and elements(shape) and tf.executing_eagerly():
            head = _leading(lambda: (x[head_index(shape)] if shape else x).numpy().tolist())
        return describe(kind, shape, x.dtype.name, short_device(x.device), (), head)

    def stats(self, x):
        tf = sys.modules["tensorflow"]
        dims = x.shape.as_list() if x.shape.rank is not None else None
        if dims is None or None in dims or not tf.executing_eagerly():
            return None
        shape = tuple(dims)
        if not elements(shape):
            return {"empty": True}
        dtype = x.dtype
        if not (dtype.is_floating or dtype.is_integer or dtype.is_bool):
            return None
        steps = sample_steps(shape)
        data = x[sample_index(steps)] if shape else tf.convert_to_tensor(x)
        out = {"over": coverage(shape, steps)}
        if dtype.is_bool:
            out["true"] = int(tf.math.count_nonzero(data).numpy())
            return out
        if dtype.is_floating:
            out["NaN"] = int(tf.math.count_nonzero(tf.math.is_nan(data)).numpy())
            out["Inf"] = int(tf.math.count_nonzero(tf.math.is_inf(data)).numpy())
            if out["NaN"] or out["Inf"]:
                data = tf.boolean_mask(data, tf.math.is_finite(data))
                out["finite_only"] = True
                if not int(tf.size(data).numpy()):
                    return out
        out["min"] = tf.math.reduce_min(data).numpy().item()
        out["max"] = tf.math.reduce_max(data).numpy().item()
        out["mean"] = float(tf.math.reduce_mean(tf.cast(data, tf.float64)).numpy())
        return out


LIBRARIES = (Torch(), NumPy(), Pandas(), TensorFlow())


def library_of(type_object):
    """The library whose data type ``type_object`` is, among those already imported."""
    for library in LIBRARIES:
        if library.module in sys.modules and library.matches(type_object):
            return library
    return None


class Stats(object):
    """The lazily computed [stats] child of a tensor: holds the data until expanded."""

    def __init__(self, library, data):
        self.library = library
        self.data = data

    def entries(self):
        try:
            counts = self.library.stats(self.data)
        except Exception as exc:
            return [("error", "%s: %s" % (type(exc).__name__, exc))]
        if counts is None:
            return [("over", "no statistics for this data type")]
        return stats_entries(counts)


# ---------------------------------------------------------------- pydevd providers


class Presenter(object):
    """A pydevd StrPresentationProvider: our value for the libraries' data, pydevd's own
    (or the repr) where that is better -- the clipboard, and any failure."""

    def __init__(self, others):
        self._others = others

    def can_provide(self, type_object, type_name):
        return type_object is Stats or library_of(type_object) is not None

    def get_str(self, value):
        return self.get_str_in_context(value, None)

    def get_str_in_context(self, value, context):
        if type(value) is Stats:
            return STATS_HINT % (
                "all elements"
                if elements(_shape_of(value.data)) <= STATS_LIMIT
                else "a sample of %s elements" % format(STATS_LIMIT, ",")
            )
        if context != "clipboard":
            library = library_of(type(value))
            try:
                if library is not None:
                    return library.value(value)
            except Exception:
                pass
        return _delegate_str(self._others, value, context)


def _shape_of(data):
    try:
        return tuple(int(s) for s in data.shape)
    except Exception:
        return ()


def _delegate_str(others, value, context):
    """pydevd's own presentation of ``value`` (e.g. its bounded pandas repr), or None,
    which makes pydevd use the repr."""
    for provider in others:
        if provider.can_provide(type(value), type(value).__name__):
            getter = getattr(provider, "get_str_in_context", None)
            if getter is not None and context is not None:
                return getter(value, context)
            return provider.get_str(value)
    return None


class Resolver(object):
    """A pydevd TypeResolveProvider: the children pydevd would show (its own resolver for
    the type, or its default one), after a [stats] child."""

    def __init__(self, others, default):
        self._others = others
        self._default = default

    def can_provide(self, type_object, type_name):
        return type_object is Stats or library_of(type_object) is not None

    def _next(self, value):
        for provider in self._others:
            if provider.can_provide(type(value), type(value).__name__):
                return provider
        return self._default

    def _children(self, value, fmt):
        resolver = self._next(value)
        if hasattr(resolver, "get_contents_debug_adapter_protocol"):
            return list(resolver.get_contents_debug_adapter_protocol(value, fmt=fmt))
        items = resolver.get_dictionary(value)
        # pydevd's ndarray resolver computes min and max eagerly (up to 1M elements):
        # [stats] has them on demand.
        if library_of(type(value)) is LIBRARIES[1]:
            items = {k: v for k, v in items.items() if k not in ("min", "max")}
        return [(k, items[k], None) for k in sorted(items, key=_attribute_key)]

    def get_contents_debug_adapter_protocol(self, value, fmt=None):
        if type(value) is Stats:
            return [(k, v, None) for k, v in value.entries()]
        children = self._children(value, fmt)
        library = library_of(type(value))
        if library is not None and not (library is LIBRARIES[2] and library._is_frame(value)):
            children.insert(0, (STATS_NAME, Stats(library, value), None))
        return children

    def get_dictionary(self, value):
        return dict((k, v) for k, v, _ in self.get_contents_debug_adapter_protocol(value))

    def resolve(self, value, attribute):
        if type(value) is Stats:
            return dict(value.entries()).get(attribute)
        if attribute == STATS_NAME:
            library = library_of(type(value))
            return Stats(library, value) if library is not None else None
        return self._next(value).resolve(value, attribute)


def _attribute_key(name):
    """pydevd's order: public names first, then _private, then __dunder__."""
    text = str(name)
    return (text.startswith("__"), text.startswith("_"), text)


def install(modules=None):
    """Put our providers first in the pydevd this process runs (loaded by debugpy's
    configure/listen); returns True if installed, False where there is no pydevd."""
    modules = sys.modules if modules is None else modules
    utils = modules.get("_pydevd_bundle.pydevd_extension_utils")
    api = modules.get("_pydevd_bundle.pydevd_extension_api")
    resolver = modules.get("_pydevd_bundle.pydevd_resolver")
    if utils is None or api is None or resolver is None:
        return False
    # The very lists pydevd's TypeResolveHandler holds: inserting affects it at once.
    resolvers = utils.extensions_of_type(api.TypeResolveProvider)
    presenters = utils.extensions_of_type(api.StrPresentationProvider)
    if any(isinstance(p, Presenter) for p in presenters):
        return True
    resolvers.insert(0, Resolver(list(resolvers), resolver.defaultResolver))
    presenters.insert(0, Presenter(list(presenters)))
    xml = modules.get("_pydevd_bundle.pydevd_xml")
    handler = getattr(xml, "_TYPE_RESOLVE_HANDLER", None)
    for cache in ("_type_to_resolver_cache", "_type_to_str_provider_cache"):
        getattr(handler, cache, {}).clear()
    return True


def install_quietly():
    """:func:`install`, saying one line instead of raising: the user's process goes on
    with pydevd's own presentation."""
    try:
        return install()
    except Exception as exc:
        _say("tensor values not available (%s: %s)" % (type(exc).__name__, exc))
        return False

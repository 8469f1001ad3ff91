"""Register-blocked matrix products for the numba kernels: weight panels and an LLVM kernel.

A product ``out[r, :] = c[r, :] + a[r, :] @ M`` (r < rows) with a fixed right operand ``M`` is
split into column **panels** of ``nv`` SIMD vectors (``nv * lanes`` columns, ``lanes = 16`` for
float32 and 8 for float64 with AVX-512, half that otherwise). Each panel is stored row-major and
contiguous (element (k, j) at ``w_off + k * nv * lanes + j``), so the kernel streams it once, in
order, with one vector load per ``nv * lanes`` columns and ``k``. The kernel keeps an
``mr x nv`` block of accumulators in vector registers for the whole ``k`` loop (``mr`` in
``ROW_SIZES`` rows of ``a``, ``nv`` in ``VECTOR_SIZES``): no load or store of the output
inside the loop, one broadcast of ``a[r, k]`` per row and ``k``. With one row it runs two
interleaved sets of accumulators (even and odd ``k``), so that the chain of dependent FMAs
never waits on its latency.

The kernel is written directly in LLVM IR (``numba.extending.intrinsic``) because numba cannot
keep arrays in registers across a loop: the same loop in numba stores and reloads its
accumulators every ``k`` (measured 3-5x slower at B = 32 and 1.5-2.5x at B = 1).

Panel table (``int64``, five entries per panel): ``w_off`` (offset of its data in the weight
buffer), ``k0`` (first column of ``a`` it reads), ``kc`` (how many), ``col`` (first output
column) and ``nv``. A group of output columns whose ``M`` block has the same ``k`` range is
padded to whole vectors and split into panels of at most ``nvmax`` vectors (``_packing``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal, TypeAlias, TypedDict, cast

import llvmlite.binding as llvm
import llvmlite.ir as ir
import numpy as np
from numba import njit, types
from numba.core import cgutils
from numba.core.typing.templates import Signature
from numba.extending import intrinsic, overload

#: an LLVM IR value (llvmlite has no type information)
Value: TypeAlias = Any
#: per row, per vector: the accumulators of one (rows, nv) case
Accumulators: TypeAlias = list[list[Value]]
#: what an intrinsic's typing function returns: the signature and the IR generator
Typed: TypeAlias = tuple[Signature, Callable[[Any, Any, Signature, Sequence[Value]], Value]]

VECTOR_BYTES = 64 if "avx512f" in llvm.get_host_cpu_features().flatten() else 32
ROW_SIZES = (1, 2, 4)  # rows of ``a`` per kernel call
VECTOR_SIZES = (1, 2, 4, 6)  # vectors per panel (fewer cases: a smaller kernel to compile)
MAX_ROWS, MAX_VECTORS = ROW_SIZES[-1], VECTOR_SIZES[-1]
TABLE_WIDTH = 5


class JitOptions(TypedDict):
    """The options every kernel is compiled with (typed, so that ``njit(**JIT_OPTIONS)`` is)."""

    fastmath: bool
    boundscheck: bool
    error_model: Literal["python", "numpy"]
    cache: bool
    nogil: bool


JIT_OPTIONS: JitOptions = {
    "fastmath": True,
    "boundscheck": False,
    "error_model": "numpy",  # no ZeroDivisionError branch: lets the gate loops vectorise
    "cache": True,
    "nogil": True,
}


@njit(inline="always")
def _fit_rows(count: int) -> int:
    return 4 if count >= 4 else (2 if count >= 2 else 1)


@njit(inline="always")
def _fit_vectors(count: int, limit: int) -> int:
    count = min(count, limit)
    return 6 if count >= 6 else (4 if count >= 4 else (2 if count >= 2 else 1))


def _emit_loop(
    builder: Any, fma: Value, vty: Any, vload: Callable[[Value], Value], rows: int, nv: int,
    unroll: int, a_rows: list[Value], ldk: Value, w_base: Value, ldw: Value, kc: Value,
    init: Accumulators,
) -> Accumulators:  # fmt: skip
    """Emit the ``k`` loops of one (rows, nv) case; return the final accumulators."""
    i64, i32 = ir.IntType(64), ir.IntType(32)
    undef = ir.Constant(vty, ir.Undefined)
    zero_mask = ir.Constant(ir.VectorType(i32, vty.count), [0] * vty.count)
    zero_vec = ir.Constant(vty, [0.0] * vty.count)

    def body(k: Value, acc: Accumulators) -> Accumulators:
        wrow = builder.add(w_base, builder.mul(k, ldw))
        wv = [vload(builder.add(wrow, ir.Constant(i64, v * vty.count))) for v in range(nv)]
        out = []
        for r in range(rows):
            scalar = builder.load(builder.gep(a_rows[r], [builder.mul(k, ldk)]))
            bcast = builder.shuffle_vector(
                builder.insert_element(undef, scalar, ir.Constant(i32, 0)), undef, zero_mask
            )
            out.append([builder.call(fma, [bcast, wv[v], acc[r][v]]) for v in range(nv)])
        return out

    def loop(
        start: Value, stop: Value, step: int, acc_sets: list[Accumulators], name: str
    ) -> list[Accumulators]:
        """``for k in range(start, stop, step)`` carrying ``acc_sets``; returns their exit."""
        before = builder.basic_block
        head = builder.append_basic_block(name)
        after = builder.append_basic_block(name + ".end")
        builder.cbranch(builder.icmp_signed("<", start, stop), head, after)
        builder.position_at_end(head)
        k = builder.phi(i64)
        k.add_incoming(start, before)
        phis = [[[builder.phi(vty) for _ in range(nv)] for _ in range(rows)] for _ in acc_sets]
        for s, acc in enumerate(acc_sets):
            for r in range(rows):
                for v in range(nv):
                    phis[s][r][v].add_incoming(acc[r][v], before)
        new = [body(builder.add(k, ir.Constant(i64, s)), phis[s]) for s in range(len(acc_sets))]
        k_next = builder.add(k, ir.Constant(i64, step))
        end = builder.basic_block
        k.add_incoming(k_next, end)
        for s in range(len(acc_sets)):
            for r in range(rows):
                for v in range(nv):
                    phis[s][r][v].add_incoming(new[s][r][v], end)
        builder.cbranch(builder.icmp_signed("<", k_next, stop), head, after)
        builder.position_at_end(after)
        result: list[Accumulators] = []
        for s, acc in enumerate(acc_sets):
            result.append([])
            for r in range(rows):
                row: list[Value] = []
                for v in range(nv):
                    phi = builder.phi(vty)
                    phi.add_incoming(acc[r][v], before)
                    phi.add_incoming(new[s][r][v], end)
                    row.append(phi)
                result[s].append(row)
        return result

    zero = ir.Constant(i64, 0)
    if unroll > 1:
        k_main = builder.sub(kc, builder.srem(kc, ir.Constant(i64, unroll)))
        zeros = [[zero_vec] * nv for _ in range(rows)]
        sets = loop(zero, k_main, unroll, [init] + [zeros] * (unroll - 1), "panel.loop2")
        acc = sets[0]
        for extra in sets[1:]:
            acc = [[builder.fadd(acc[r][v], extra[r][v]) for v in range(nv)] for r in range(rows)]
        return loop(k_main, kc, 1, [acc], "panel.tail")[0]
    return loop(zero, kc, 1, [init], "panel.loop")[0]


@intrinsic
def _panel_kernel(
    typingctx: Any,
    rows: types.Type,
    nv: types.Type,
    a: types.Array,
    a_off: types.Type,
    lda: types.Type,
    ldk: types.Type,
    w: types.Array,
    w_off: types.Type,
    ldw: types.Type,
    kc: types.Type,
    c: types.Array,
    c_off: types.Type,
    ldc: types.Type,
    out: types.Array,
    o_off: types.Type,
    ldo: types.Type,
) -> Typed | None:
    """``out[o_off + r*ldo + j] = c[c_off + r*ldc + j] + sum_k a[a_off + r*lda + k*ldk] *
    w[w_off + k*ldw + j]`` for r < rows, j < nv * lanes, k < kc; ``rows`` one of
    ``ROW_SIZES`` and ``nv`` one of ``VECTOR_SIZES`` (any other pair does nothing).

    Packed panels have ``ldk = 1`` and ``ldw = nv * lanes``; other strides read a transposed
    ``a`` (``lda = 1``) or a plain row-major ``w``. ``ldc`` may be 0 (a bias row for every
    row). All arrays 1-D and of one float type.
    """
    ints = (rows, nv, a_off, lda, ldk, w_off, ldw, kc, c_off, ldc, o_off, ldo)
    arrays = (a, w, c, out)
    if not all(isinstance(t, types.Integer) for t in ints):
        return None
    if not all(isinstance(t, types.Array) and t.ndim == 1 for t in arrays):
        return None
    if len({t.dtype for t in arrays}) != 1 or a.dtype not in (types.float32, types.float64):
        return None
    sig = types.void(
        rows, nv, a, a_off, lda, ldk, w, w_off, ldw, kc, c, c_off, ldc, out, o_off, ldo
    )

    def codegen(context: Any, builder: Any, signature: Signature, args: Sequence[Value]) -> Value:
        i64 = ir.IntType(64)
        argtypes = signature.args

        def as_i64(index: int) -> Value:
            return context.cast(builder, args[index], argtypes[index], types.int64)

        def data(index: int) -> Value:
            return context.make_array(argtypes[index])(context, builder, args[index]).data

        ftype = context.get_value_type(a.dtype)
        count = VECTOR_BYTES // (4 if a.dtype == types.float32 else 8)
        vty = ir.VectorType(ftype, count)
        suffix = f"v{count}{'f32' if a.dtype == types.float32 else 'f64'}"
        fma = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(vty, [vty, vty, vty]), f"llvm.fmuladd.{suffix}"
        )
        n_rows, n_vec = as_i64(0), as_i64(1)
        a_p, w_p, c_p, o_p = data(2), data(6), data(10), data(13)
        a_off_v, lda_v, ldk_v = as_i64(3), as_i64(4), as_i64(5)
        w_off_v, ldw_v, kc_v = as_i64(7), as_i64(8), as_i64(9)
        c_off_v, ldc_v, o_off_v, ldo_v = as_i64(11), as_i64(12), as_i64(14), as_i64(15)

        def vload_from(ptr: Value) -> Callable[[Value], Value]:
            def vload(index: Value) -> Value:
                address = builder.bitcast(builder.gep(ptr, [index]), vty.as_pointer())
                return builder.load(address, align=1)

            return vload

        exit_block = builder.append_basic_block("panel.exit")
        key = builder.add(builder.mul(n_rows, ir.Constant(i64, 8)), n_vec)
        switch = builder.switch(key, exit_block)
        for rows_c in ROW_SIZES:
            for nv_c in VECTOR_SIZES:
                case = builder.append_basic_block(f"panel.r{rows_c}v{nv_c}")
                switch.add_case(ir.Constant(i64, rows_c * 8 + nv_c), case)
                builder.position_at_end(case)
                c_load = vload_from(c_p)
                o_rows: list[Value] = []
                a_rows: list[Value] = []
                init: Accumulators = []
                for r in range(rows_c):
                    r_c = ir.Constant(i64, r)
                    row_c = builder.add(c_off_v, builder.mul(ldc_v, r_c))
                    init.append(
                        [
                            c_load(builder.add(row_c, ir.Constant(i64, v * count)))
                            for v in range(nv_c)
                        ]
                    )
                    o_rows.append(builder.add(o_off_v, builder.mul(ldo_v, r_c)))
                    a_rows.append(builder.gep(a_p, [builder.add(a_off_v, builder.mul(lda_v, r_c))]))
                unroll = 2 if rows_c * nv_c < 8 else 1
                acc = _emit_loop(
                    builder, fma, vty, vload_from(w_p), rows_c, nv_c, unroll, a_rows, ldk_v,
                    w_off_v, ldw_v, kc_v, init,
                )  # fmt: skip
                for r in range(rows_c):
                    for v in range(nv_c):
                        index = builder.add(o_rows[r], ir.Constant(i64, v * count))
                        address = builder.bitcast(builder.gep(o_p, [index]), vty.as_pointer())
                        builder.store(acc[r][v], address, align=1)
                builder.branch(exit_block)
        builder.position_at_end(exit_block)
        return context.get_dummy_value()

    return sig, codegen


#: how compiled code calls :func:`_panel_kernel` (numba supplies ``typingctx``):
#: ``panel_kernel(rows, nv, a, a_off, lda, ldk, w, w_off, ldw, kc, c, c_off, ldc, out, o_off,
#: ldo)``
panel_kernel = cast(
    "Callable[[int, int, np.ndarray, int, int, int, np.ndarray, int, int, int, np.ndarray, int, "
    "int, np.ndarray, int, int], None]",
    _panel_kernel,
)

_X86 = llvm.get_process_triple().startswith(("x86_64", "amd64"))
_FTZ_DAZ = 0x8040  # MXCSR bits: flush-to-zero (15) and denormals-are-zero (6)


@intrinsic
def _ftz_enter(typingctx: Any) -> Typed:
    """Set FTZ and DAZ on this thread; return the previous MXCSR (0 where there is none).

    Inside numba this costs nanoseconds (``stmxcsr``/``ldmxcsr``), against about 1-5 us for
    ``grukit.runtime.flush_denormals(workers=False)`` from Python. Memory operations are not
    reordered across it, so every load and store between :func:`ftz_enter` and
    :func:`ftz_leave` runs with flushing on.
    """
    sig = types.int32()

    def codegen(context: Any, builder: Any, signature: Signature, args: Sequence[Value]) -> Value:
        i32 = ir.IntType(32)
        if not _X86:
            return ir.Constant(i32, 0)
        fnty = ir.FunctionType(ir.VoidType(), [i32.as_pointer()])
        store = cgutils.get_or_insert_function(builder.module, fnty, "llvm.x86.sse.stmxcsr")
        load = cgutils.get_or_insert_function(builder.module, fnty, "llvm.x86.sse.ldmxcsr")
        slot = cgutils.alloca_once(builder, i32)
        builder.call(store, [builder.bitcast(slot, i32.as_pointer())])
        previous = builder.load(slot)
        builder.store(builder.or_(previous, ir.Constant(i32, _FTZ_DAZ)), slot)
        builder.call(load, [builder.bitcast(slot, i32.as_pointer())])
        return previous

    return sig, codegen


@intrinsic
def _ftz_leave(typingctx: Any, previous: types.Type) -> Typed | None:
    """Restore the MXCSR value returned by :func:`ftz_enter`."""
    if previous != types.int32:
        return None
    sig = types.void(previous)

    def codegen(context: Any, builder: Any, signature: Signature, args: Sequence[Value]) -> Value:
        if _X86:
            i32 = ir.IntType(32)
            fnty = ir.FunctionType(ir.VoidType(), [i32.as_pointer()])
            load = cgutils.get_or_insert_function(builder.module, fnty, "llvm.x86.sse.ldmxcsr")
            slot = cgutils.alloca_once(builder, i32)
            builder.store(args[0], slot)
            builder.call(load, [builder.bitcast(slot, i32.as_pointer())])
        return context.get_dummy_value()

    return sig, codegen


#: ``ftz_enter() -> int32`` and ``ftz_leave(previous)`` in compiled code (numba supplies
#: ``typingctx``); see :func:`_ftz_enter` and :func:`_ftz_leave`
ftz_enter = cast("Callable[[], int]", _ftz_enter)
ftz_leave = cast("Callable[[int], None]", _ftz_leave)


def _lanes(array: np.ndarray) -> int:  # pragma: no cover - replaced by the overload inside numba
    raise NotImplementedError


@overload(_lanes, inline="always")
def _lanes_overload(array) -> Callable[[np.ndarray], int]:
    width = VECTOR_BYTES // array.dtype.bitwidth * 8
    return lambda array: width


def _signatures(kind: str) -> list[Signature]:
    """Explicit signatures (float32 and float64, all integers int64): compiled once each, so
    that calls with constant arguments do not compile literal-typed copies of the kernel."""
    out: list[Signature] = []
    for dtype in (types.float32, types.float64):
        arr, i, table = types.Array(dtype, 1, "C"), types.int64, types.Array(types.int64, 1, "C")
        if kind == "gemm":
            out.append(types.none(arr, i, i, i, i, arr, i, i, i, i, arr, i, i, arr, i, i, i))
        else:
            out.append(
                types.none(arr, i, i, i, arr, table, i, i, arr, i, i, arr, i, i, types.boolean)
            )
    return out


@njit(_signatures("gemm"), **JIT_OPTIONS)
def gemm_rows(
    a: np.ndarray, a_off: int, lda: int, ldk: int, rows: int, w: np.ndarray, w_off: int, ldw: int,
    kc: int, cols: int, c: np.ndarray, c_off: int, ldc: int, out: np.ndarray, o_off: int,
    ldo: int, nvmax: int,
) -> None:  # fmt: skip
    """``out[r, j] = c[r, j] + sum_k a[a_off + r*lda + k*ldk] * w[w_off + k*ldw + j]`` for
    r < rows, j < cols (a whole number of vectors), k < kc, with a plain row-major ``w``.

    Row ``r`` of ``out`` starts at ``o_off + r * ldo`` (likewise ``c``). Used for the weight
    gradients, e.g. ``dW^T += h^T @ dG`` with ``a = h`` read transposed (``lda = 1``,
    ``ldk = H``). Columns go in chunks of ``nvmax`` vectors, each reused for all rows.
    """
    lanes = _lanes(w)
    vectors = cols // lanes
    start = 0
    while start < vectors:
        nv = _fit_vectors(vectors - start, nvmax)
        col = start * lanes
        r = 0
        while r < rows:
            mr = _fit_rows(rows - r)
            panel_kernel(
                mr, nv, a, a_off + r * lda, lda, ldk, w, w_off + col, ldw, kc, c,
                c_off + r * ldc + col, ldc, out, o_off + r * ldo + col, ldo,
            )  # fmt: skip
            r += mr
        start += nv


@njit(_signatures("panels"), **JIT_OPTIONS)
def run_panels(
    a: np.ndarray, a_off: int, lda: int, rows: int, w: np.ndarray, table: np.ndarray, first: int,
    stop: int, c: np.ndarray, c_off: int, ldc: int, out: np.ndarray, o_off: int, ldo: int,
    flip: bool,
) -> None:  # fmt: skip
    """``out[r] = c[r] + a[r] @ M`` for r < rows over the panels ``first .. stop - 1`` of
    ``table`` (see the module docstring); ``flip`` runs them in the opposite order.

    Row ``r`` of ``a`` starts at ``a_off + r * lda`` (likewise ``c``, ``out``); ``ldc = 0``
    broadcasts one bias row. Each panel is loaded once for all rows (four rows per kernel
    call), so it stays in L1 while it is reused.
    """
    lanes = _lanes(w)
    count = stop - first
    for i in range(count):
        p = (stop - 1 - i) if flip else (first + i)
        entry = p * TABLE_WIDTH
        w_off = table[entry]
        k0 = table[entry + 1]
        kc = table[entry + 2]
        col = table[entry + 3]
        nv = table[entry + 4]
        r = 0
        while r < rows:
            mr = _fit_rows(rows - r)
            panel_kernel(
                mr, nv, a, a_off + r * lda + k0, lda, 1, w, w_off, nv * lanes, kc, c,
                c_off + r * ldc + col, ldc, out, o_off + r * ldo + col, ldo,
            )  # fmt: skip
            r += mr

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

from typing import Literal, TypedDict

import llvmlite.binding as llvm
import llvmlite.ir as ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic, overload

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
def _fit_rows(count):
    return 4 if count >= 4 else (2 if count >= 2 else 1)


@njit(inline="always")
def _fit_vectors(count, limit):
    count = min(count, limit)
    return 6 if count >= 6 else (4 if count >= 4 else (2 if count >= 2 else 1))


def _emit_loop(builder, fma, vty, vload, rows, nv, unroll, a_rows, ldk, w_base, ldw, kc, init):
    """Emit the ``k`` loops of one (rows, nv) case; return the final accumulators."""
    i64, i32 = ir.IntType(64), ir.IntType(32)
    undef = ir.Constant(vty, ir.Undefined)
    zero_mask = ir.Constant(ir.VectorType(i32, vty.count), [0] * vty.count)
    zero_vec = ir.Constant(vty, [0.0] * vty.count)

    def body(k, acc):
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

    def loop(start, stop, step, acc_sets, name):
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
        result = []
        for s, acc in enumerate(acc_sets):
            result.append([])
            for r in range(rows):
                row = []
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
def panel_kernel(
    typingctx, rows, nv, a, a_off, lda, ldk, w, w_off, ldw, kc, c, c_off, ldc, out, o_off, ldo
):
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

    def codegen(context, builder, signature, args):
        i64 = ir.IntType(64)
        argtypes = signature.args

        def as_i64(index):
            return context.cast(builder, args[index], argtypes[index], types.int64)

        def data(index):
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

        def vload_from(ptr):
            def vload(index):
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
                c_load, o_rows, a_rows, init = vload_from(c_p), [], [], []
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


_X86 = llvm.get_process_triple().startswith(("x86_64", "amd64"))
_FTZ_DAZ = 0x8040  # MXCSR bits: flush-to-zero (15) and denormals-are-zero (6)


@intrinsic
def ftz_enter(typingctx):
    """Set FTZ and DAZ on this thread; return the previous MXCSR (0 where there is none).

    Inside numba this costs nanoseconds (``stmxcsr``/``ldmxcsr``), against about 1-5 us for
    ``grukit.runtime.flush_denormals(workers=False)`` from Python. Memory operations are not
    reordered across it, so every load and store between :func:`ftz_enter` and
    :func:`ftz_leave` runs with flushing on.
    """
    sig = types.int32()

    def codegen(context, builder, signature, args):
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
def ftz_leave(typingctx, previous):
    """Restore the MXCSR value returned by :func:`ftz_enter`."""
    if previous != types.int32:
        return None
    sig = types.void(previous)

    def codegen(context, builder, signature, args):
        if _X86:
            i32 = ir.IntType(32)
            fnty = ir.FunctionType(ir.VoidType(), [i32.as_pointer()])
            load = cgutils.get_or_insert_function(builder.module, fnty, "llvm.x86.sse.ldmxcsr")
            slot = cgutils.alloca_once(builder, i32)
            builder.store(args[0], slot)
            builder.call(load, [builder.bitcast(slot, i32.as_pointer())])
        return context.get_dummy_value()

    return sig, codegen


def _lanes(array):  # pragma: no cover - replaced by the overload inside numba
    raise NotImplementedError


@overload(_lanes, inline="always")
def _lanes_overload(array):
    width = VECTOR_BYTES // array.dtype.bitwidth * 8
    return lambda array: width


def _signatures(kind: str):
    """Explicit signatures (float32 and float64, all integers int64): compiled once each, so
    that calls with constant arguments do not compile literal-typed copies of the kernel."""
    out = []
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
    a, a_off, lda, ldk, rows, w, w_off, ldw, kc, cols, c, c_off, ldc, out, o_off, ldo, nvmax
):  # fmt: skip
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
def run_panels(a, a_off, lda, rows, w, table, first, stop, c, c_off, ldc, out, o_off, ldo, flip):
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

;; Small SIMD helpers for @hcr/engine. They work in place on the tfjs wasm backend's own memory
;; (imported), on tensors addressed by byte offset. No data segments, no globals: this module
;; never writes anything but the output ranges it is given.
;; Build: node packages/engine/wasm/build.mjs  (wabt's wat2wasm, then base64 into src/kernels/simd_wasm.ts)
(module
  (import "env" "memory" (memory 1))

  ;; out[c] = sum_r x[r*cols + c]   (cols % 4 == 0; f32 accumulation in row order)
  (func (export "sum_rows") (param $x i32) (param $rows i32) (param $cols i32) (param $out i32)
    (local $o i32) (local $end i32)
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $cols) (i32.const 2))))
    (local.set $o (local.get $out))
    (block $z (loop $zl
      (br_if $z (i32.ge_u (local.get $o) (local.get $end)))
      (v128.store (local.get $o) (v128.const i32x4 0 0 0 0))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (br $zl)))
    (block $done (loop $rl
      (br_if $done (i32.eqz (local.get $rows)))
      (local.set $o (local.get $out))
      (block $cd (loop $cl
        (br_if $cd (i32.ge_u (local.get $o) (local.get $end)))
        (v128.store (local.get $o)
          (f32x4.add (v128.load (local.get $o)) (v128.load (local.get $x))))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (br $cl)))
      (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
      (br $rl))))

  ;; Max-pool gradient, 2x2 windows, stride 2, no padding, C % 4 == 0, NHWC.
  ;; dx gets dy at the first maximum of each window (row-major, strictly greater replaces, from -inf:
  ;; NaN never wins, a window of -inf and NaN passes nothing, as the cpu backend), 0 elsewhere. Rows/columns past 2*oH / 2*oW are not written (the caller zeroes them).
  (func (export "maxpool_grad_2x2")
    (param $x i32) (param $dy i32) (param $dx i32) (param $n i32) (param $H i32) (param $W i32)
    (param $C i32) (param $oH i32) (param $oW i32)
    (local $b i32) (local $p i32) (local $q i32) (local $d i32)
    (local $C4 i32) (local $row i32) (local $off i32) (local $a i32) (local $o i32)
    (local $v00 v128) (local $v01 v128) (local $v10 v128) (local $v11 v128) (local $g v128)
    (local $m v128) (local $c0 v128) (local $c1 v128) (local $c2 v128) (local $c3 v128) (local $ninf v128)
    (local.set $ninf (v128.const f32x4 -inf -inf -inf -inf))
    (local.set $C4 (i32.shl (local.get $C) (i32.const 2)))
    (local.set $row (i32.mul (local.get $W) (local.get $C4)))
    (local.set $o (local.get $dy))
    (local.set $b (i32.const 0))
    (block $bd (loop $bl
      (br_if $bd (i32.ge_u (local.get $b) (local.get $n)))
      (local.set $p (i32.const 0))
      (block $pd (loop $pl
        (br_if $pd (i32.ge_u (local.get $p) (local.get $oH)))
        ;; byte offset of window row 0, column 0
        (local.set $off (i32.mul
          (i32.add (i32.mul (local.get $b) (local.get $H)) (i32.shl (local.get $p) (i32.const 1)))
          (local.get $row)))
        (local.set $q (i32.const 0))
        (block $qd (loop $ql
          (br_if $qd (i32.ge_u (local.get $q) (local.get $oW)))
          (local.set $d (i32.const 0))
          (block $dd (loop $dl
            (br_if $dd (i32.ge_u (local.get $d) (local.get $C4)))
            (local.set $a (i32.add (local.get $off) (local.get $d)))
            (local.set $v00 (v128.load (i32.add (local.get $x) (local.get $a))))
            (local.set $v01 (v128.load (i32.add (local.get $x) (i32.add (local.get $a) (local.get $C4)))))
            (local.set $v10 (v128.load (i32.add (local.get $x) (i32.add (local.get $a) (local.get $row)))))
            (local.set $v11 (v128.load (i32.add (local.get $x)
              (i32.add (local.get $a) (i32.add (local.get $row) (local.get $C4))))))
            (local.set $g (v128.load (local.get $o)))
            ;; the running max m starts at -inf: v00 wins only if greater (not NaN, not -inf);
            ;; pmax(m, v) = m < v ? v : m is the max that strictly-greater replacement keeps
            (local.set $c0 (f32x4.gt (local.get $v00) (local.get $ninf)))
            (local.set $m (f32x4.pmax (local.get $ninf) (local.get $v00)))
            (local.set $c1 (f32x4.gt (local.get $v01) (local.get $m)))
            (local.set $m (f32x4.pmax (local.get $m) (local.get $v01)))
            (local.set $c2 (f32x4.gt (local.get $v10) (local.get $m)))
            (local.set $m (f32x4.pmax (local.get $m) (local.get $v10)))
            (local.set $c3 (f32x4.gt (local.get $v11) (local.get $m)))
            (v128.store (i32.add (local.get $dx) (i32.add (local.get $a) (i32.add (local.get $row) (local.get $C4))))
              (v128.and (local.get $g) (local.get $c3)))
            (v128.store (i32.add (local.get $dx) (i32.add (local.get $a) (local.get $row)))
              (v128.and (local.get $g) (v128.andnot (local.get $c2) (local.get $c3))))
            (v128.store (i32.add (local.get $dx) (i32.add (local.get $a) (local.get $C4)))
              (v128.and (local.get $g)
                (v128.andnot (v128.andnot (local.get $c1) (local.get $c2)) (local.get $c3))))
            (v128.store (i32.add (local.get $dx) (local.get $a))
              (v128.andnot (v128.andnot (v128.andnot (v128.and (local.get $g) (local.get $c0)) (local.get $c1))
                (local.get $c2)) (local.get $c3)))
            (local.set $o (i32.add (local.get $o) (i32.const 16)))
            (local.set $d (i32.add (local.get $d) (i32.const 16)))
            (br $dl)))
          (local.set $off (i32.add (local.get $off) (i32.shl (local.get $C4) (i32.const 1))))
          (local.set $q (i32.add (local.get $q) (i32.const 1)))
          (br $ql)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $pl)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bl))))

  ;; Batch-norm passes over [rows, C] float32 arrays, C % 4 == 0, per-channel vectors of C floats.
  ;; Accumulators are f32 in row order (as sum_rows); moments are shifted by k (any value near the
  ;; mean) so that the variance does not come from the difference of two large sums.

  ;; s[c] = sum_r (x - k[c]),  q[c] = sum_r (x - k[c])^2
  (func (export "bn_moments") (param $x i32) (param $rows i32) (param $C i32) (param $k i32)
    (param $s i32) (param $q i32)
    (local $C4 i32) (local $j i32) (local $d v128)
    (local.set $C4 (i32.shl (local.get $C) (i32.const 2)))
    (local.set $j (i32.const 0))
    (block $z (loop $zl
      (br_if $z (i32.ge_u (local.get $j) (local.get $C4)))
      (v128.store (i32.add (local.get $s) (local.get $j)) (v128.const i32x4 0 0 0 0))
      (v128.store (i32.add (local.get $q) (local.get $j)) (v128.const i32x4 0 0 0 0))
      (local.set $j (i32.add (local.get $j) (i32.const 16)))
      (br $zl)))
    (block $done (loop $rl
      (br_if $done (i32.eqz (local.get $rows)))
      (local.set $j (i32.const 0))
      (block $cd (loop $cl
        (br_if $cd (i32.ge_u (local.get $j) (local.get $C4)))
        (local.set $d (f32x4.sub (v128.load (local.get $x)) (v128.load (i32.add (local.get $k) (local.get $j)))))
        (v128.store (i32.add (local.get $s) (local.get $j))
          (f32x4.add (v128.load (i32.add (local.get $s) (local.get $j))) (local.get $d)))
        (v128.store (i32.add (local.get $q) (local.get $j))
          (f32x4.add (v128.load (i32.add (local.get $q) (local.get $j))) (f32x4.mul (local.get $d) (local.get $d))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $cl)))
      (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
      (br $rl))))

  ;; s[c] = sum_r dy,  p[c] = sum_r dy * (x - m[c])
  (func (export "bn_grad_sums") (param $dy i32) (param $x i32) (param $rows i32) (param $C i32)
    (param $m i32) (param $s i32) (param $p i32)
    (local $C4 i32) (local $j i32) (local $g v128)
    (local.set $C4 (i32.shl (local.get $C) (i32.const 2)))
    (local.set $j (i32.const 0))
    (block $z (loop $zl
      (br_if $z (i32.ge_u (local.get $j) (local.get $C4)))
      (v128.store (i32.add (local.get $s) (local.get $j)) (v128.const i32x4 0 0 0 0))
      (v128.store (i32.add (local.get $p) (local.get $j)) (v128.const i32x4 0 0 0 0))
      (local.set $j (i32.add (local.get $j) (i32.const 16)))
      (br $zl)))
    (block $done (loop $rl
      (br_if $done (i32.eqz (local.get $rows)))
      (local.set $j (i32.const 0))
      (block $cd (loop $cl
        (br_if $cd (i32.ge_u (local.get $j) (local.get $C4)))
        (local.set $g (v128.load (local.get $dy)))
        (v128.store (i32.add (local.get $s) (local.get $j))
          (f32x4.add (v128.load (i32.add (local.get $s) (local.get $j))) (local.get $g)))
        (v128.store (i32.add (local.get $p) (local.get $j))
          (f32x4.add (v128.load (i32.add (local.get $p) (local.get $j)))
            (f32x4.mul (local.get $g)
              (f32x4.sub (v128.load (local.get $x)) (v128.load (i32.add (local.get $m) (local.get $j)))))))
        (local.set $dy (i32.add (local.get $dy) (i32.const 16)))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $cl)))
      (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
      (br $rl))))

  ;; out = a[c] * x + b[c]  (+ e[c] * y when y != 0); out may alias x or y
  (func (export "bn_affine") (param $x i32) (param $y i32) (param $rows i32) (param $C i32)
    (param $a i32) (param $b i32) (param $e i32) (param $out i32)
    (local $C4 i32) (local $j i32) (local $v v128)
    (local.set $C4 (i32.shl (local.get $C) (i32.const 2)))
    (block $done (loop $rl
      (br_if $done (i32.eqz (local.get $rows)))
      (local.set $j (i32.const 0))
      (block $cd (loop $cl
        (br_if $cd (i32.ge_u (local.get $j) (local.get $C4)))
        (local.set $v (f32x4.add
          (f32x4.mul (v128.load (i32.add (local.get $a) (local.get $j))) (v128.load (local.get $x)))
          (v128.load (i32.add (local.get $b) (local.get $j)))))
        (if (local.get $y) (then
          (local.set $v (f32x4.add (local.get $v)
            (f32x4.mul (v128.load (i32.add (local.get $e) (local.get $j))) (v128.load (local.get $y)))))
          (local.set $y (i32.add (local.get $y) (i32.const 16)))))
        (v128.store (local.get $out) (local.get $v))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $out (i32.add (local.get $out) (i32.const 16)))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $cl)))
      (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
      (br $rl))))
)

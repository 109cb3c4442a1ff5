;; The training hot loops in WebAssembly SIMD (f32x4). Compiled at load time by wabt
;; (lib/train/kernels.ts); the JavaScript versions in network.ts compute the same sums.
;; All pointers are byte addresses into the imported memory; f32 arrays are row-major.
(module
  (import "env" "memory" (memory 1))

  ;; dst[j] = 2 * sum_{p in [from, to)} src[rows[p] * width + j] - sub[j]   for j < width
  ;; (with x in {-1,+1}: x·W[:, j] = 2 * (sum of the rows where x = +1) - column total)
  (func (export "sum_rows")
    (param $src i32) (param $rows i32) (param $from i32) (param $to i32)
    (param $width i32) (param $dst i32) (param $sub i32)
    (local $j i32) (local $p i32) (local $r i32) (local $rowBytes i32) (local $end i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $s f32) (local $two v128)
    (local.set $rowBytes (i32.shl (local.get $width) (i32.const 2)))
    (local.set $two (f32x4.splat (f32.const 2)))
    (local.set $end (i32.add (local.get $rows) (i32.shl (local.get $to) (i32.const 2))))
    ;; 16 columns at a time, four vector accumulators
    (block $done16
      (loop $cols16
        (br_if $done16 (i32.gt_u (i32.add (local.get $j) (i32.const 16)) (local.get $width)))
        (local.set $a0 (v128.const i32x4 0 0 0 0))
        (local.set $a1 (v128.const i32x4 0 0 0 0))
        (local.set $a2 (v128.const i32x4 0 0 0 0))
        (local.set $a3 (v128.const i32x4 0 0 0 0))
        (local.set $p (i32.add (local.get $rows) (i32.shl (local.get $from) (i32.const 2))))
        (block $rowsDone
          (loop $rowLoop
            (br_if $rowsDone (i32.ge_u (local.get $p) (local.get $end)))
            (local.set $r (i32.add (i32.add (local.get $src)
                                            (i32.mul (i32.load (local.get $p)) (local.get $rowBytes)))
                                   (i32.shl (local.get $j) (i32.const 2))))
            (local.set $a0 (f32x4.add (local.get $a0) (v128.load offset=0 align=4 (local.get $r))))
            (local.set $a1 (f32x4.add (local.get $a1) (v128.load offset=16 align=4 (local.get $r))))
            (local.set $a2 (f32x4.add (local.get $a2) (v128.load offset=32 align=4 (local.get $r))))
            (local.set $a3 (f32x4.add (local.get $a3) (v128.load offset=48 align=4 (local.get $r))))
            (local.set $p (i32.add (local.get $p) (i32.const 4)))
            (br $rowLoop)))
        (local.set $r (i32.shl (local.get $j) (i32.const 2)))
        (v128.store offset=0 align=4 (i32.add (local.get $dst) (local.get $r))
          (f32x4.sub (f32x4.mul (local.get $a0) (local.get $two))
                     (v128.load offset=0 align=4 (i32.add (local.get $sub) (local.get $r)))))
        (v128.store offset=16 align=4 (i32.add (local.get $dst) (local.get $r))
          (f32x4.sub (f32x4.mul (local.get $a1) (local.get $two))
                     (v128.load offset=16 align=4 (i32.add (local.get $sub) (local.get $r)))))
        (v128.store offset=32 align=4 (i32.add (local.get $dst) (local.get $r))
          (f32x4.sub (f32x4.mul (local.get $a2) (local.get $two))
                     (v128.load offset=32 align=4 (i32.add (local.get $sub) (local.get $r)))))
        (v128.store offset=48 align=4 (i32.add (local.get $dst) (local.get $r))
          (f32x4.sub (f32x4.mul (local.get $a3) (local.get $two))
                     (v128.load offset=48 align=4 (i32.add (local.get $sub) (local.get $r)))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $cols16)))
    ;; 4 columns at a time
    (block $done4
      (loop $cols4
        (br_if $done4 (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $width)))
        (local.set $a0 (v128.const i32x4 0 0 0 0))
        (local.set $p (i32.add (local.get $rows) (i32.shl (local.get $from) (i32.const 2))))
        (block $rowsDone4
          (loop $rowLoop4
            (br_if $rowsDone4 (i32.ge_u (local.get $p) (local.get $end)))
            (local.set $r (i32.add (i32.add (local.get $src)
                                            (i32.mul (i32.load (local.get $p)) (local.get $rowBytes)))
                                   (i32.shl (local.get $j) (i32.const 2))))
            (local.set $a0 (f32x4.add (local.get $a0) (v128.load align=4 (local.get $r))))
            (local.set $p (i32.add (local.get $p) (i32.const 4)))
            (br $rowLoop4)))
        (local.set $r (i32.shl (local.get $j) (i32.const 2)))
        (v128.store align=4 (i32.add (local.get $dst) (local.get $r))
          (f32x4.sub (f32x4.mul (local.get $a0) (local.get $two))
                     (v128.load align=4 (i32.add (local.get $sub) (local.get $r)))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $cols4)))
    ;; the remaining columns one by one
    (block $done1
      (loop $cols1
        (br_if $done1 (i32.ge_u (local.get $j) (local.get $width)))
        (local.set $s (f32.const 0))
        (local.set $p (i32.add (local.get $rows) (i32.shl (local.get $from) (i32.const 2))))
        (block $rowsDone1
          (loop $rowLoop1
            (br_if $rowsDone1 (i32.ge_u (local.get $p) (local.get $end)))
            (local.set $s (f32.add (local.get $s)
              (f32.load (i32.add (i32.add (local.get $src)
                                          (i32.mul (i32.load (local.get $p)) (local.get $rowBytes)))
                                 (i32.shl (local.get $j) (i32.const 2))))))
            (local.set $p (i32.add (local.get $p) (i32.const 4)))
            (br $rowLoop1)))
        (local.set $r (i32.shl (local.get $j) (i32.const 2)))
        (f32.store (i32.add (local.get $dst) (local.get $r))
          (f32.sub (f32.mul (local.get $s) (f32.const 2))
                   (f32.load (i32.add (local.get $sub) (local.get $r)))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $cols1))))

  ;; sum_j a[j] * b[j], n elements
  (func $dot (param $a i32) (param $b i32) (param $n i32) (result f32)
    (local $j i32) (local $acc v128) (local $s f32)
    (block $done4
      (loop $l4
        (br_if $done4 (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $n)))
        (local.set $acc (f32x4.add (local.get $acc)
          (f32x4.mul (v128.load align=4 (i32.add (local.get $a) (i32.shl (local.get $j) (i32.const 2))))
                     (v128.load align=4 (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2)))))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $l4)))
    (local.set $s (f32.add (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
                           (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))
    (block $done1
      (loop $l1
        (br_if $done1 (i32.ge_u (local.get $j) (local.get $n)))
        (local.set $s (f32.add (local.get $s)
          (f32.mul (f32.load (i32.add (local.get $a) (i32.shl (local.get $j) (i32.const 2))))
                   (f32.load (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2)))))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $l1)))
    (local.get $s))

  ;; Straight-through gradient into the previous layer:
  ;; pg[b, i] = |pa[b, i]| <= 1 ? sum_j gS[b, j] * Wb[i, j] : 0
  (func (export "input_grad")
    (param $gS i32) (param $Wb i32) (param $pa i32) (param $pg i32)
    (param $count i32) (param $nIn i32) (param $nOut i32)
    (local $b i32) (local $i i32) (local $k i32) (local $g i32) (local $v f32)
    (block $bDone
      (loop $bLoop
        (br_if $bDone (i32.ge_u (local.get $b) (local.get $count)))
        (local.set $g (i32.add (local.get $gS) (i32.shl (i32.mul (local.get $b) (local.get $nOut)) (i32.const 2))))
        (local.set $i (i32.const 0))
        (block $iDone
          (loop $iLoop
            (br_if $iDone (i32.ge_u (local.get $i) (local.get $nIn)))
            (local.set $k (i32.shl (i32.add (i32.mul (local.get $b) (local.get $nIn)) (local.get $i)) (i32.const 2)))
            (local.set $v (f32.load (i32.add (local.get $pa) (local.get $k))))
            (f32.store (i32.add (local.get $pg) (local.get $k))
              (if (result f32) (f32.le (f32.abs (local.get $v)) (f32.const 1))
                (then (call $dot (local.get $g)
                                 (i32.add (local.get $Wb) (i32.shl (i32.mul (local.get $i) (local.get $nOut)) (i32.const 2)))
                                 (local.get $nOut)))
                (else (f32.const 0))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $iLoop)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $bLoop))))

  ;; One Adam step over n parameters: m, v moments; p -= step * m / (sqrt(v) + eps);
  ;; clipped to [-1, 1] when clip != 0.
  (func (export "adam")
    (param $p i32) (param $g i32) (param $m i32) (param $v i32) (param $n i32)
    (param $step f32) (param $b1 f32) (param $b2 f32) (param $eps f32) (param $clip i32)
    (local $k i32) (local $o i32) (local $gk v128) (local $mk v128) (local $vk v128) (local $x v128)
    (local $sb1 v128) (local $sb2 v128) (local $s1b1 v128) (local $s1b2 v128) (local $sstep v128) (local $seps v128)
    (local $lo v128) (local $hi v128)
    (local $gs f32) (local $ms f32) (local $vs f32) (local $xs f32)
    (local.set $sb1 (f32x4.splat (local.get $b1)))
    (local.set $sb2 (f32x4.splat (local.get $b2)))
    (local.set $s1b1 (f32x4.splat (f32.sub (f32.const 1) (local.get $b1))))
    (local.set $s1b2 (f32x4.splat (f32.sub (f32.const 1) (local.get $b2))))
    (local.set $sstep (f32x4.splat (local.get $step)))
    (local.set $seps (f32x4.splat (local.get $eps)))
    (local.set $lo (f32x4.splat (f32.const -1)))
    (local.set $hi (f32x4.splat (f32.const 1)))
    (block $done4
      (loop $l4
        (br_if $done4 (i32.gt_u (i32.add (local.get $k) (i32.const 4)) (local.get $n)))
        (local.set $o (i32.shl (local.get $k) (i32.const 2)))
        (local.set $gk (v128.load align=4 (i32.add (local.get $g) (local.get $o))))
        (local.set $mk (f32x4.add (f32x4.mul (local.get $sb1) (v128.load align=4 (i32.add (local.get $m) (local.get $o))))
                                  (f32x4.mul (local.get $s1b1) (local.get $gk))))
        (local.set $vk (f32x4.add (f32x4.mul (local.get $sb2) (v128.load align=4 (i32.add (local.get $v) (local.get $o))))
                                  (f32x4.mul (local.get $s1b2) (f32x4.mul (local.get $gk) (local.get $gk)))))
        (v128.store align=4 (i32.add (local.get $m) (local.get $o)) (local.get $mk))
        (v128.store align=4 (i32.add (local.get $v) (local.get $o)) (local.get $vk))
        (local.set $x (f32x4.sub (v128.load align=4 (i32.add (local.get $p) (local.get $o)))
                                 (f32x4.div (f32x4.mul (local.get $sstep) (local.get $mk))
                                            (f32x4.add (f32x4.sqrt (local.get $vk)) (local.get $seps)))))
        (if (local.get $clip)
          (then (local.set $x (f32x4.pmax (local.get $lo) (f32x4.pmin (local.get $hi) (local.get $x))))))
        (v128.store align=4 (i32.add (local.get $p) (local.get $o)) (local.get $x))
        (local.set $k (i32.add (local.get $k) (i32.const 4)))
        (br $l4)))
    (block $done1
      (loop $l1
        (br_if $done1 (i32.ge_u (local.get $k) (local.get $n)))
        (local.set $o (i32.shl (local.get $k) (i32.const 2)))
        (local.set $gs (f32.load (i32.add (local.get $g) (local.get $o))))
        (local.set $ms (f32.add (f32.mul (local.get $b1) (f32.load (i32.add (local.get $m) (local.get $o))))
                                (f32.mul (f32.sub (f32.const 1) (local.get $b1)) (local.get $gs))))
        (local.set $vs (f32.add (f32.mul (local.get $b2) (f32.load (i32.add (local.get $v) (local.get $o))))
                                (f32.mul (f32.sub (f32.const 1) (local.get $b2)) (f32.mul (local.get $gs) (local.get $gs)))))
        (f32.store (i32.add (local.get $m) (local.get $o)) (local.get $ms))
        (f32.store (i32.add (local.get $v) (local.get $o)) (local.get $vs))
        (local.set $xs (f32.sub (f32.load (i32.add (local.get $p) (local.get $o)))
                                (f32.div (f32.mul (local.get $step) (local.get $ms))
                                         (f32.add (f32.sqrt (local.get $vs)) (local.get $eps)))))
        (if (local.get $clip)
          (then (local.set $xs (f32.max (f32.const -1) (f32.min (f32.const 1) (local.get $xs))))))
        (f32.store (i32.add (local.get $p) (local.get $o)) (local.get $xs))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $l1))))

  ;; Wb = sign(W) (eq. 1.3: +1 where W >= 0, so sign(0) = +1) and colsum[j] = sum_i Wb[i, j].
  (func (export "binarize")
    (param $W i32) (param $Wb i32) (param $colsum i32) (param $nIn i32) (param $nOut i32)
    (local $i i32) (local $j i32) (local $o i32) (local $c i32) (local $w v128) (local $b v128) (local $x f32) (local $y f32)
    (memory.fill (local.get $colsum) (i32.const 0) (i32.shl (local.get $nOut) (i32.const 2)))
    (block $iDone
      (loop $iLoop
        (br_if $iDone (i32.ge_u (local.get $i) (local.get $nIn)))
        (local.set $j (i32.const 0))
        (block $done4
          (loop $l4
            (br_if $done4 (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $nOut)))
            (local.set $o (i32.shl (i32.add (i32.mul (local.get $i) (local.get $nOut)) (local.get $j)) (i32.const 2)))
            (local.set $c (i32.add (local.get $colsum) (i32.shl (local.get $j) (i32.const 2))))
            (local.set $w (v128.load align=4 (i32.add (local.get $W) (local.get $o))))
            (local.set $b (v128.bitselect (f32x4.splat (f32.const 1)) (f32x4.splat (f32.const -1))
                                          (f32x4.ge (local.get $w) (f32x4.splat (f32.const 0)))))
            (v128.store align=4 (i32.add (local.get $Wb) (local.get $o)) (local.get $b))
            (v128.store align=4 (local.get $c) (f32x4.add (v128.load align=4 (local.get $c)) (local.get $b)))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $l4)))
        (block $done1
          (loop $l1
            (br_if $done1 (i32.ge_u (local.get $j) (local.get $nOut)))
            (local.set $o (i32.shl (i32.add (i32.mul (local.get $i) (local.get $nOut)) (local.get $j)) (i32.const 2)))
            (local.set $c (i32.add (local.get $colsum) (i32.shl (local.get $j) (i32.const 2))))
            (local.set $y (select (f32.const 1) (f32.const -1)
                                  (f32.ge (f32.load (i32.add (local.get $W) (local.get $o))) (f32.const 0))))
            (f32.store (i32.add (local.get $Wb) (local.get $o)) (local.get $y))
            (f32.store (local.get $c) (f32.add (f32.load (local.get $c)) (local.get $y)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $l1)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $iLoop))))
)

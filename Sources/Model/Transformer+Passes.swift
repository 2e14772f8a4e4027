// Forward and backward passes of the whole model. Shapes follow the legend in Kernels.swift.

extension Transformer {
  private var attnShape: AttentionShape {
    AttentionShape(
      b: 0, t: 0, nh: config.numAttentionHeads, kvh: config.numKeyValueHeads, d: config.headDim)
  }

  // MARK: one decoder block

  /// out = res1 + mlp(ln2(res1)),  res1 = x + o_proj(attn(ln1(x)))      x, out: [N, C]
  private func blockForward(
    _ o: BlockOffsets, _ a: BlockActivations<T>, input x: UnsafePointer<T>, b: Int, t: Int
  ) {
    let c = config.hiddenSize, i = config.intermediateSize, n = b * t
    var s = attnShape
    s.b = b
    s.t = t
    let p = params.base
    let eps = T(config.rmsNormEps)
    rmsnormForward(a.ln1.base, a.rstd1.base, x, p + o.ln1, n: n, c: c, eps: eps, workers: workers)
    linearForward(a.qkv.base, a.ln1.base, p + o.qkvW, p + o.qkvB, n: n, k: c, o: s.qkv)
    cosT.withUnsafeBufferPointer { cs in
      sinT.withUnsafeBufferPointer { sn in
        // q and k heads are contiguous: NH + KVH heads from the start of each row
        rope(
          a.qkv.base, ld: s.qkv, rows: n, t: t, heads: s.nh + s.kvh, d: s.d,
          cos: cs.baseAddress!, sin: sn.baseAddress!, inverse: false, workers: workers)
      }
    }
    attentionForward(a.atty.base, a.probs.base, a.qkv.base, s, workers: workers)
    linearForward(a.res1.base, a.atty.base, p + o.oW, nil, n: n, k: s.q, o: c)
    addInPlace(a.res1.base, x, count: n * c)
    rmsnormForward(
      a.ln2.base, a.rstd2.base, a.res1.base, p + o.ln2, n: n, c: c, eps: eps, workers: workers)
    linearForward(a.gu.base, a.ln2.base, p + o.gateUpW, nil, n: n, k: c, o: 2 * i)
    swigluForward(a.act.base, a.gu.base, n: n, i: i, workers: workers)
    linearForward(a.out.base, a.act.base, p + o.downW, nil, n: n, k: i, o: c)
    addInPlace(a.out.base, a.res1.base, count: n * c)
  }

  /// dx[N,C] = ∂/∂x given dout = ∂/∂out (overwrites dx; uses the scratch in `s`).
  private func blockBackward(
    _ o: BlockOffsets, _ a: BlockActivations<T>, _ sc: Activations<T>,
    input x: UnsafePointer<T>, dout: UnsafePointer<T>, dx: UnsafeMutablePointer<T>, b: Int, t: Int
  ) {
    let c = config.hiddenSize, i = config.intermediateSize, n = b * t
    var s = attnShape
    s.b = b
    s.t = t
    let p = params.base, g = grads.base
    // MLP: out = res1 + down(act)
    let dres = sc.dres.base  // ∂/∂res1, starts as the residual path
    dres.update(from: dout, count: n * c)
    linearBackward(
      sc.dact.base, g + o.downW, nil, dout, a.act.base, p + o.downW, n: n, k: i, o: c,
      accumulate: false)
    swigluBackward(sc.dgu.base, sc.dact.base, a.gu.base, n: n, i: i, workers: workers)
    linearBackward(
      sc.dln.base, g + o.gateUpW, nil, sc.dgu.base, a.ln2.base, p + o.gateUpW, n: n, k: c,
      o: 2 * i, accumulate: false)
    rmsnormBackward(
      dres, g + o.ln2, sc.dln.base, a.res1.base, p + o.ln2, a.rstd2.base, n: n, c: c,
      workers: workers)
    // Attention: res1 = x + o_proj(atty)
    linearBackward(
      sc.datty.base, g + o.oW, nil, dres, a.atty.base, p + o.oW, n: n, k: s.q, o: c,
      accumulate: false)
    attentionBackward(
      sc.dqkv.base, sc.attnScratch.base, sc.datty.base, a.probs.base, a.qkv.base, s,
      workers: workers)
    cosT.withUnsafeBufferPointer { cs in
      sinT.withUnsafeBufferPointer { sn in
        rope(
          sc.dqkv.base, ld: s.qkv, rows: n, t: t, heads: s.nh + s.kvh, d: s.d,
          cos: cs.baseAddress!, sin: sn.baseAddress!, inverse: true, workers: workers)
      }
    }
    linearBackward(
      sc.dln.base, g + o.qkvW, g + o.qkvB, sc.dqkv.base, a.ln1.base, p + o.qkvW, n: n, k: c,
      o: s.qkv, accumulate: false)
    dx.update(from: dres, count: n * c)
    rmsnormBackward(
      dx, g + o.ln1, sc.dln.base, x, p + o.ln1, a.rstd1.base, n: n, c: c, workers: workers)
  }

  // MARK: whole model

  /// Runs the main model and (when present and T ≥ 2) the MTP layer on `batch`, B rows of
  /// T+1 tokens. Main loss: x[:, 1:] from x[:, :T]. MTP loss: x[:, i+2] at position i.
  ///
  /// With `backward`, adds `lossScale · ∂(L_main + mtpWeight · L_mtp)/∂θ` to `grads`.
  /// `keepLogits` leaves raw logits readable through `lastLogits` (no loss is computed).
  @discardableResult
  package func step(
    batch: [Int32], b: Int, t: Int, mtpWeight: Double, backward: Bool, lossScale: Double = 1,
    logitsOut: ((_ main: UnsafePointer<T>, _ mtp: UnsafePointer<T>?) -> Void)? = nil
  ) -> LossParts {
    let cfg = config
    let c = cfg.hiddenSize, v = cfg.vocabSize, n = b * t
    let eps = T(cfg.rmsNormEps)
    let p = params.base, g = grads.base
    ensureRope(t)
    let a = activations(batch: batch, b: b, t: t)

    // ---- main forward
    a.inputs.withUnsafeBufferPointer { tok in
      embeddingForward(a.emb.base, tok.baseAddress!, p + layout.embed, n: n, c: c)
    }
    var x = UnsafePointer(a.emb.base)
    for (l, o) in layout.layers.enumerated() {
      blockForward(o, a.blocks[l], input: x, b: b, t: t)
      x = UnsafePointer(a.blocks[l].out.base)
    }
    let lastOut = x
    rmsnormForward(
      a.hidden.base, a.rstdF.base, lastOut, p + layout.finalNorm, n: n, c: c, eps: eps,
      workers: workers)
    linearForward(a.logits.base, a.hidden.base, p + layout.lmHead, nil, n: n, k: c, o: v)

    let hasMTP = layout.mtp != nil && a.mtpBlock != nil
    if let logitsOut, !hasMTP {
      logitsOut(a.logits.base, nil)
      return LossParts(total: .nan, main: .nan, mtp: nil)
    }
    // main loss (and ∂/∂logits in place), then ∂/∂hidden and ∂lm_head
    var mainLoss = Double.nan
    var mainLogitsCopy: Buffer<T>? = nil
    if logitsOut != nil {
      let copy = Buffer<T>(n * v)
      copy.base.update(from: a.logits.base, count: n * v)
      mainLogitsCopy = copy
    } else {
      let scale: T? = backward ? T(lossScale / Double(n)) : nil
      mainLoss =
        a.targets.withUnsafeBufferPointer { tg in
          crossEntropy(
            a.logits.base, tg.baseAddress!, n: n, v: v, gradScale: scale, workers: workers)
        } / Double(n)
      if backward {
        linearBackward(
          a.dhidden.base, g + layout.lmHead, nil, a.logits.base, a.hidden.base, p + layout.lmHead,
          n: n, k: c, o: v, accumulate: false)
      }
    }

    // ---- MTP forward (and backward into dhidden)
    var mtpLoss: Double? = nil
    if hasMTP, let m = layout.mtp, let mb = a.mtpBlock {
      let t2 = t - 1, n2 = b * t2
      a.mtpTokens.withUnsafeBufferPointer { tok in
        embeddingForward(a.mtpEmb.base, tok.baseAddress!, p + layout.embed, n: n2, c: c)
      }
      rmsnormForward(
        a.mtpEmbN.base, a.mtpRstdE.base, a.mtpEmb.base, p + m.tokenNorm, n: n2, c: c, eps: eps,
        workers: workers)
      for r in 0..<b {  // h_i for i < T−1
        (a.mtpHid.base + r * t2 * c).update(from: a.hidden.base + r * t * c, count: t2 * c)
      }
      rmsnormForward(
        a.mtpHidN.base, a.mtpRstdH.base, a.mtpHid.base, p + m.hiddenNorm, n: n2, c: c, eps: eps,
        workers: workers)
      mtpInputProjection(a.mtpIn.base, hidden: a.mtpHidN.base, embedding: a.mtpEmbN.base, n: n2)
      blockForward(m.block, mb, input: a.mtpIn.base, b: b, t: t2)
      rmsnormForward(
        a.mtpOut.base, a.mtpRstdF.base, mb.out.base, p + m.finalNorm, n: n2, c: c, eps: eps,
        workers: workers)
      linearForward(a.logits.base, a.mtpOut.base, p + layout.lmHead, nil, n: n2, k: c, o: v)
      if let logitsOut, let mainCopy = mainLogitsCopy {
        logitsOut(mainCopy.base, a.logits.base)
        return LossParts(total: .nan, main: .nan, mtp: nil)
      }
      let scale: T? = backward ? T(lossScale * mtpWeight / Double(n2)) : nil
      mtpLoss =
        a.mtpTargets.withUnsafeBufferPointer { tg in
          crossEntropy(
            a.logits.base, tg.baseAddress!, n: n2, v: v, gradScale: scale, workers: workers)
        } / Double(n2)
      if backward {
        // lm_head → final_layernorm → block → input_proj → the two input norms
        linearBackward(
          a.mtpDIn.base, g + layout.lmHead, nil, a.logits.base, a.mtpOut.base, p + layout.lmHead,
          n: n2, k: c, o: v, accumulate: false)
        let dBlockOut = a.mtpDHid.base
        dBlockOut.update(repeating: 0, count: n2 * c)
        rmsnormBackward(
          dBlockOut, g + m.finalNorm, a.mtpDIn.base, mb.out.base, p + m.finalNorm,
          a.mtpRstdF.base, n: n2, c: c, workers: workers)
        blockBackward(
          m.block, mb, a, input: a.mtpIn.base, dout: dBlockOut, dx: a.mtpDIn.base, b: b, t: t2)
        let dz = a.mtpDIn.base
        // ∂hh = dz · W[:, :C], ∂e = dz · W[:, C:];  ∂W[:, :C] += dzᵀ hh,  ∂W[:, C:] += dzᵀ e
        let dhh = a.dln.base, de = a.dres.base  // scratch, free after the block
        T.gemm(
          transA: false, transB: false, m: n2, n: c, k: c, alpha: 1, a: dz, lda: c,
          b: p + m.inputProj, ldb: 2 * c, beta: 0, c: dhh, ldc: c)
        T.gemm(
          transA: false, transB: false, m: n2, n: c, k: c, alpha: 1, a: dz, lda: c,
          b: p + m.inputProj + c, ldb: 2 * c, beta: 0, c: de, ldc: c)
        T.gemm(
          transA: true, transB: false, m: c, n: c, k: n2, alpha: 1, a: dz, lda: c,
          b: a.mtpHidN.base, ldb: c, beta: 1, c: g + m.inputProj, ldc: 2 * c)
        T.gemm(
          transA: true, transB: false, m: c, n: c, k: n2, alpha: 1, a: dz, lda: c,
          b: a.mtpEmbN.base, ldb: c, beta: 1, c: g + m.inputProj + c, ldc: 2 * c)
        // hidden_layernorm back into ∂hidden rows i < T−1
        let dh = a.mtpDHid.base
        dh.update(repeating: 0, count: n2 * c)
        rmsnormBackward(
          dh, g + m.hiddenNorm, dhh, a.mtpHid.base, p + m.hiddenNorm, a.mtpRstdH.base, n: n2,
          c: c, workers: workers)
        for r in 0..<b {
          addInPlace(a.dhidden.base + r * t * c, dh + r * t2 * c, count: t2 * c)
        }
        // token_layernorm back into the shared embedding
        let demb = a.mtpDEmb.base
        demb.update(repeating: 0, count: n2 * c)
        rmsnormBackward(
          demb, g + m.tokenNorm, de, a.mtpEmb.base, p + m.tokenNorm, a.mtpRstdE.base, n: n2,
          c: c, workers: workers)
        a.mtpTokens.withUnsafeBufferPointer { tok in
          embeddingBackward(g + layout.embed, demb, tok.baseAddress!, n: n2, c: c)
        }
      }
    }

    // ---- main backward
    if backward {
      let dlast = a.dx.base
      dlast.update(repeating: 0, count: n * c)
      rmsnormBackward(
        dlast, g + layout.finalNorm, a.dhidden.base, lastOut, p + layout.finalNorm, a.rstdF.base,
        n: n, c: c, workers: workers)
      // dx holds ∂/∂(block output); walk the blocks in reverse, ping-ponging two buffers
      var dout = a.dx.base, dinp = a.dhidden.base
      for l in stride(from: layout.layers.count - 1, through: 0, by: -1) {
        let input = l == 0 ? UnsafePointer(a.emb.base) : UnsafePointer(a.blocks[l - 1].out.base)
        blockBackward(layout.layers[l], a.blocks[l], a, input: input, dout: dout, dx: dinp, b: b, t: t)
        swap(&dout, &dinp)
      }
      a.inputs.withUnsafeBufferPointer { tok in
        embeddingBackward(g + layout.embed, dout, tok.baseAddress!, n: n, c: c)
      }
    }
    let total = mainLoss + mtpWeight * (mtpLoss ?? 0)
    return LossParts(total: total, main: mainLoss, mtp: mtpLoss)
  }
}

extension Transformer {
  /// The MTP layer's input: z[N,C] = [hh ; e] · input_projᵀ = hh · W[:, :C]ᵀ + e · W[:, C:]ᵀ
  /// (MiMo's order: normed hidden state first, normed embedding second).
  func mtpInputProjection(
    _ z: UnsafeMutablePointer<T>, hidden hh: UnsafePointer<T>, embedding e: UnsafePointer<T>,
    n: Int
  ) {
    guard let m = layout.mtp else { return }
    let c = config.hiddenSize, w = params.base + m.inputProj
    T.gemm(
      transA: false, transB: true, m: n, n: c, k: c, alpha: 1, a: hh, lda: c, b: w, ldb: 2 * c,
      beta: 0, c: z, ldc: c)
    T.gemm(
      transA: false, transB: true, m: n, n: c, k: c, alpha: 1, a: e, lda: c, b: w + c,
      ldb: 2 * c, beta: 1, c: z, ldc: c)
  }
}


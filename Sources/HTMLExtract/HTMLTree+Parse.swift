internal import CLibXML2

#if canImport(Glibc)
  import Glibc
#endif

private let libxmlInitialized: Bool = {
  xmlInitParser()
  return true
}()

extension HTMLTree {
  /// Parses UTF-8 HTML with libxml2's HTML parser (recover mode, no network, no entity
  /// expansion) and builds the arena straight from its SAX events: libxml2 never builds its
  /// own tree, and text is copied once into one byte buffer.
  static func parse(utf8 text: String, limits: HTMLLimits) -> HTMLTree {
    parse(utf8: Array(text.utf8), limits: limits)
  }

  /// Parses HTML given as valid UTF-8 bytes.
  static func parse(utf8 text: [UInt8], limits: HTMLLimits) -> HTMLTree {
    _ = libxmlInitialized
    var source = text
    var count = source.count
    var truncated = false
    if count > limits.maxInputBytes {
      var cut = limits.maxInputBytes
      while cut > 0 && (source[cut] & 0xC0) == 0x80 { cut -= 1 }
      source.removeSubrange(cut...)
      count = cut
      truncated = true
    }
    let builder = ArenaBuilder(limits: limits, expectedBytes: count)
    builder.tree.truncated = truncated
    let options = Int32(
      HTML_PARSE_RECOVER.rawValue | HTML_PARSE_NOERROR.rawValue | HTML_PARSE_NOWARNING.rawValue
        | HTML_PARSE_NONET.rawValue | HTML_PARSE_COMPACT.rawValue)
    let stripped = source.withUnsafeBufferPointer { ParserInputFilter.filter($0) }
    func run(_ buf: UnsafeBufferPointer<UInt8>) {
      buf.withMemoryRebound(to: CChar.self) { cbuf in
        guard let ctxt = htmlCreateMemoryParserCtxt(cbuf.baseAddress, Int32(cbuf.count)) else { return }
        defer { htmlFreeParserCtxt(ctxt) }
        // Pin the input to UTF-8 so a <meta charset> inside the page cannot switch decoders:
        // the bytes were already decoded by CharsetDecoder.
        if let utf8 = xmlFindCharEncodingHandler("UTF-8") { xmlSwitchToEncoding(ctxt, utf8) }
        _ = htmlCtxtUseOptions(ctxt, options)
        guard let sax = ctxt.pointee.sax else { return }
        var handler = htmlSAXHandler()
        handler.initialized = XML_SAX2_MAGIC
        handler.startElement = saxStartElement
        handler.endElement = saxEndElement
        handler.characters = saxCharacters
        handler.ignorableWhitespace = saxCharacters
        handler.cdataBlock = saxCharacters
        handler.serror = saxSilentError
        sax.pointee = handler
        ctxt.pointee._private = Unmanaged.passUnretained(builder).toOpaque()
        _ = htmlParseDocument(ctxt)
      }
    }
    if let stripped {
      stripped.withUnsafeBufferPointer { run($0) }
    } else {
      source.withUnsafeBufferPointer { run($0) }
    }
    builder.closeText()
    return builder.tree
  }
}

/// Receives SAX events and appends arena nodes in document order.
///
/// Its state is only touched from the SAX callbacks of one parse on one thread, never
/// re-entrantly, so dynamic exclusivity checks (a measurable cost per event) are turned off.
private final class ArenaBuilder {
  @exclusivity(unchecked) var tree = HTMLTree()
  let limits: HTMLLimits
  /// Open elements: arena index, or -1 for an element dropped by the depth or node limit.
  @exclusivity(unchecked) var open: [Int32] = []
  /// The text node still receiving characters, or -1.
  @exclusivity(unchecked) var openText: Int32 = -1
  @exclusivity(unchecked) var visible: Int32 = 0
  @exclusivity(unchecked) var firstVisible: UInt8 = 0
  /// libxml2 interns element and attribute names in a per-document dictionary, so a name's
  /// pointer identifies it: these caches skip building and hashing a String per element.
  @exclusivity(unchecked) var elementNames: [UnsafePointer<UInt8>: (tag: Tag, name: String)] = [:]
  @exclusivity(unchecked) var attributeKinds: [UnsafePointer<UInt8>: AttributeKind] = [:]
  /// Direct-mapped caches in front of the dictionaries (no hashing on a hit).
  @exclusivity(unchecked) var elementSlots = [ElementSlot](repeating: ElementSlot(), count: 256)
  @exclusivity(unchecked) var attributeSlots = [AttributeSlot](repeating: AttributeSlot(), count: 256)

  struct ElementSlot {
    var key: UnsafePointer<UInt8>?
    var tag = Tag.other
    var name = ""
  }

  struct AttributeSlot {
    var key: UnsafePointer<UInt8>?
    var kind = AttributeKind.ignored
  }

  @inline(__always)
  static func slot(_ p: UnsafePointer<UInt8>) -> Int { Int((UInt(bitPattern: p) >> 3) & 0xFF) }

  init(limits: HTMLLimits, expectedBytes: Int) {
    self.limits = limits
    tree.nodes.reserveCapacity(expectedBytes / 40)
    tree.textBytes.reserveCapacity(expectedBytes / 2)
  }

  /// The innermost element that was kept, or -1.
  /// For each open element, the nearest kept element at or above it (so `parent` is O(1) even
  /// when thousands of elements past the depth cap are open).
  @exclusivity(unchecked) var nearestKept: [Int32] = []

  var parent: Int32 { nearestKept.last ?? -1 }

  func append(_ node: HTMLTree.Node) -> Int32 {
    let index = Int32(tree.nodes.count)
    tree.nodes.append(node)
    let p = Int(node.parent)
    if p >= 0 {
      if tree.nodes[p].lastChild >= 0 {
        tree.nodes[Int(tree.nodes[p].lastChild)].next = index
      } else {
        tree.nodes[p].firstChild = index
      }
      tree.nodes[p].lastChild = index
    }
    return index
  }

  func closeText() {
    guard openText >= 0 else { return }
    tree.textStart.append(Int32(tree.textBytes.count))
    var c = visible
    if firstVisible == 0x3C && c > 8 {
      let k = Int(tree.nodes[Int(openText)].payload)
      let s = String(
        decoding: tree.textBytes[Int(tree.textStart[k])..<Int(tree.textStart[k + 1])], as: UTF8.self)
      if looksLikeMarkup(s) { c = -1 }
    }
    tree.textCounts.append(c)
    openText = -1
  }

  func start(_ name: UnsafePointer<UInt8>, _ atts: UnsafeMutablePointer<UnsafePointer<UInt8>?>?) {
    closeText()
    let depth = open.count
    if depth >= limits.maxDepth || tree.nodes.count >= limits.maxNodes {
      tree.truncated = true
      open.append(-1)  // its text still lands in the nearest kept ancestor
      nearestKept.append(nearestKept.last ?? -1)
      return
    }
    let tag: Tag
    let lower: String
    let es = ArenaBuilder.slot(name)
    if elementSlots[es].key == name {
      tag = elementSlots[es].tag
      lower = elementSlots[es].name
    } else if let known = elementNames[name] {
      (tag, lower) = known
      elementSlots[es] = ElementSlot(key: name, tag: tag, name: lower)
    } else {
      // libxml2's HTML parser lowercases element names.
      lower = String(cString: name)
      var t = Tag.byName[lower] ?? .other
      if t == .other && lower == "mjx-container" { t = .mjx }
      tag = t
      elementNames[name] = (tag, lower)
      elementSlots[es] = ElementSlot(key: name, tag: tag, name: lower)
    }
    // Known elements with no attribute the extractor reads need no Attributes object;
    // MathML and unknown elements keep one for their name.
    var a: HTMLTree.Attributes?
    if tag == .other || tag == .math || tag == .mjx || tag == .annotation || tag == .annotationXML
      || tag == .semantics
    {
      a = HTMLTree.Attributes()
    }
    if let atts { readAttributes(atts, into: &a) }
    var payload: Int32 = -1
    if let a {
      a.name = lower
      tree.attributes.append(a)
      payload = Int32(tree.attributes.count - 1)
    }
    let index = append(HTMLTree.Node(tag: tag, parent: parent, payload: payload, depth: Int32(depth)))
    open.append(index)
    nearestKept.append(index)
  }

  func end() {
    closeText()
    if !open.isEmpty {
      open.removeLast()
      nearestKept.removeLast()
    }
  }

  func characters(_ ch: UnsafePointer<UInt8>, _ len: Int) {
    guard len > 0 else { return }
    if openText < 0 {
      if tree.nodes.count >= limits.maxNodes {
        tree.truncated = true
        return
      }
      let p = parent
      let depth = p >= 0 ? tree.nodes[Int(p)].depth + 1 : 0
      let k = Int32(tree.textCounts.count)
      openText = append(HTMLTree.Node(tag: .text, parent: p, payload: k, depth: depth))
      visible = 0
      firstVisible = 0
    }
    let buf = UnsafeBufferPointer(start: ch, count: len)
    var k = 0
    if visible == 0 {
      while k < len {
        let b = buf[k]
        k += 1
        if visibleByte[Int(b)] != 0 {
          firstVisible = b
          visible = 1
          break
        }
      }
    }
    var count = visible
    visibleByte.withUnsafeBufferPointer { table in
      while k < len {
        count &+= Int32(table[Int(buf[k])])
        k += 1
      }
    }
    visible = count
    tree.textBytes.append(contentsOf: buf)
  }

  /// Copies the attributes the extractor reads; other values are never turned into Strings.
  private func readAttributes(
    _ atts: UnsafeMutablePointer<UnsafePointer<UInt8>?>, into attributes: inout HTMLTree.Attributes?
  ) {
    var k = 0
    while let namePtr = atts[k] {
      let valuePtr = atts[k + 1]
      k += 2
      let kind: AttributeKind
      let slot = ArenaBuilder.slot(namePtr)
      if attributeSlots[slot].key == namePtr {
        kind = attributeSlots[slot].kind
      } else if let known = attributeKinds[namePtr] {
        kind = known
        attributeSlots[slot] = AttributeSlot(key: namePtr, kind: kind)
      } else {
        kind = AttributeKind(rawValue: String(cString: namePtr).asciiLowercased()) ?? .ignored
        attributeKinds[namePtr] = kind
        attributeSlots[slot] = AttributeSlot(key: namePtr, kind: kind)
      }
      if kind == .ignored { continue }
      let a = attributes ?? HTMLTree.Attributes()
      attributes = a
      func raw() -> String { valuePtr.map { String(cString: $0) } ?? "" }
      func lower() -> String { valuePtr.map(lowercasedString) ?? "" }
      switch kind {
      case .ignored: break
      case .cls:
        a.cls = lower()
        a.classAndID = a.classAndID.isEmpty ? a.cls : a.cls + " " + a.classAndID
      case .id:
        a.id = lower()
        a.classAndID = a.classAndID.isEmpty ? a.id : a.classAndID + " " + a.id
      case .role: a.role = lower()
      case .style: a.style = lower()
      case .type: a.type = lower()
      case .alt: a.alt = raw()
      case .src: a.src = raw()
      case .dataSrc: if a.src.isEmpty { a.src = raw() }
      case .encoding: a.encoding = lower()
      case .alttext: a.alttext = raw()
      case .display: a.display = lower()
      case .mode: a.mode = lower()
      case .dataTex, .dataLatex, .dataFormula, .dataMath: a.dataTex = raw()
      case .itemprop: a.itemprop = lower()
      case .lang, .xmlLang: a.lang = raw()
      case .hidden: a.hidden = true
      case .ariaHidden: a.ariaHidden = lower() == "true"
      case .ariaModal: a.nonModal = lower() == "false"
      case .name: a.metaName = lower()
      case .property: if a.metaName.isEmpty { a.metaName = lower() }
      case .content: a.metaContent = raw()
      case .httpEquiv: a.httpEquiv = lower()
      case .mathvariant: a.mathvariant = lower()
      case .href: a.linkHost = valuePtr.map(linkHost) ?? ""
      case .colspan: a.colspan = max(1, min(Int(raw().trim()) ?? 1, 50))
      }
    }
  }
}

/// A NUL-terminated attribute value with ASCII letters lowercased.
private func lowercasedString(_ p: UnsafePointer<UInt8>) -> String {
  asciiLowercasedString(UnsafeBufferPointer(start: p, count: strlen(p)))
}

/// Where a NUL-terminated href points (see `HTMLTree.Attributes.linkHost`); a host is kept to
/// its last 253 bytes, the longest a DNS name can be.
private func linkHost(_ p: UnsafePointer<UInt8>) -> String {
  let v = UnsafeBufferPointer(start: p, count: strlen(p))
  switch linkTarget(v) {
  case .fragment: return "#"
  case .relative: return ""
  case .host(let r):
    return asciiLowercasedString(UnsafeBufferPointer(rebasing: v[max(r.lowerBound, r.upperBound - 253)..<r.upperBound]))
  }
}

/// 1 for bytes that start a visible character: not a UTF-8 continuation byte, not ASCII
/// whitespace.
private let visibleByte: [UInt8] = (0..<256).map { b in
  (b & 0xC0) != 0x80 && b != 0x20 && b != 0x0A && b != 0x09 && b != 0x0D ? 1 : 0
}

extension HTMLTree {
  /// The attributes `parse` reads (lowercase); `ParserInputFilter` drops every other one.
  static let readAttributeNames: [String] = AttributeKind.allCases.map(\.rawValue).filter { !$0.isEmpty }
}

/// The attributes the extractor reads, by their (lowercase) HTML names.
private enum AttributeKind: String, CaseIterable {
  case ignored = ""
  case cls = "class", id, role, style, type, alt, src, dataSrc = "data-src", encoding, alttext
  case display, mode, dataTex = "data-tex", dataLatex = "data-latex", dataFormula = "data-formula"
  case dataMath = "data-math", itemprop, lang, xmlLang = "xml:lang", hidden
  case ariaHidden = "aria-hidden", ariaModal = "aria-modal", name, property, content, httpEquiv = "http-equiv", mathvariant
  case colspan, href
}

/// Runs `body` with the builder behind a SAX callback's context (the parser context, whose
/// `_private` holds it), without retain/release traffic: the builder outlives the parse.
@inline(__always)
private func withBuilder(_ ctx: UnsafeMutableRawPointer?, _ body: (ArenaBuilder) -> Void) {
  guard let ctx else { return }
  let ctxt = ctx.assumingMemoryBound(to: xmlParserCtxt.self)
  guard let p = ctxt.pointee._private else { return }
  Unmanaged<ArenaBuilder>.fromOpaque(p)._withUnsafeGuaranteedRef(body)
}

private func saxStartElement(
  _ ctx: UnsafeMutableRawPointer?, _ name: UnsafePointer<xmlChar>?,
  _ atts: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?
) {
  guard let name else { return }
  withBuilder(ctx) { $0.start(name, atts) }
}

private func saxEndElement(_ ctx: UnsafeMutableRawPointer?, _ name: UnsafePointer<xmlChar>?) {
  withBuilder(ctx) { $0.end() }
}

private func saxCharacters(_ ctx: UnsafeMutableRawPointer?, _ ch: UnsafePointer<xmlChar>?, _ len: Int32) {
  guard let ch else { return }
  withBuilder(ctx) { $0.characters(ch, Int(len)) }
}

private func saxSilentError(_ userData: UnsafeMutableRawPointer?, _ error: xmlErrorPtr?) {}

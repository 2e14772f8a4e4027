import DataCore
import Jobs
import Testing

@testable import QualityFilters

@Suite("PII masking")
struct PIIMaskerTests {
  @Test(
    "emails and public IPs are masked; private, reserved and non-addresses stay",
    arguments: [
      ("Write to jane.doe+lists@mail.example.co.uk today.", 1, 0),
      ("Contact: bob@example.com, alice@test.org.", 2, 0),
      ("No email here: a @ b, x@y, @handle, user@localhost", 0, 0),
      ("Server at 8.8.8.8 and 1.1.1.1:53.", 0, 2),
      ("Private 10.0.0.1, 192.168.1.20, 127.0.0.1, 172.16.5.4, 169.254.0.1, 100.64.0.1", 0, 0),
      ("Docs 192.0.2.1 and 203.0.113.9 are reserved; 256.1.1.1 and 01.2.3.4 are not addresses", 0, 0),
      ("Versions 1.2.3.4.5 and v2.31.4.1 are not addresses", 0, 0),
      ("IPv6 2606:4700:4700::1111 is public, ::1 and fe80::1 and 2001:db8::1 are not", 0, 1),
      ("Code a[0] = b:c; time 12:30:45; hex deadbeef", 0, 0),
    ] as [(String, Int, Int)])
  func rules(text: String, emails: Int, ips: Int) {
    let r = PIIMasker.mask(text)
    #expect(r.emails == emails)
    #expect(r.ips == ips)
  }

  @Test("replacements are the placeholders, chosen the same way every time; the rest of the text is untouched")
  func placeholders() {
    let r = PIIMasker.mask("Mail jane@corp.com from 8.8.4.4. Done.")
    #expect(r.text.hasPrefix("Mail "))
    #expect(r.text.hasSuffix(". Done."))
    #expect(PIIMasker.emailPlaceholders.contains { r.text.contains($0) })
    #expect(PIIMasker.ipPlaceholders.contains { r.text.contains($0) })
    #expect(!r.text.contains("jane@corp.com") && !r.text.contains("8.8.4.4"))
    #expect(PIIMasker.mask("Mail jane@corp.com from 8.8.4.4. Done.").text == r.text)
  }

  @Test("the stage counts what it masked; empty and non-Latin text pass unchanged")
  func stage() {
    var counts: [String: Int] = [:]
    guard case .keep(let d) = PIIMasker().process(Document(id: "a", text: "x@example.com 8.8.8.8"), counts: &counts) else {
      Issue.record("dropped")
      return
    }
    #expect(counts == ["emails": 1, "ips": 1])
    #expect(!d.text.contains("x@example.com"))
    for text in ["", "日本語のテキスト、メールなし。", "Ελληνικά 123.45"] {
      #expect(PIIMasker.mask(text).text == text)
    }
  }
}

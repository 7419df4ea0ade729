#include "custody_report.h"

#include <fmt/format.h>

#include <map>

namespace firebreak::evidence {
namespace {

constexpr std::size_t kMaxReportRows = 5000;
constexpr std::size_t kSummaryChars = 160;

// Cuts at a UTF-8 boundary.
std::string truncate_utf8(std::string s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  s.resize(cut);
  s += "…";
  return s;
}

std::string md_cell(std::string_view s) {
  std::string out;
  for (const char c : s) {
    switch (c) {
      case '|': out += "\\|"; break;
      case '\\': out += "\\\\"; break;
      case '`': out += "\\`"; break;
      case '*': out += "\\*"; break;
      case '_': out += "\\_"; break;
      case '[': out += "\\["; break;
      case ']': out += "\\]"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '\n':
      case '\r':
      case '\t': out += ' '; break;
      default:
        if (static_cast<unsigned char>(c) >= 0x20) out += c;
    }
  }
  return out;
}

std::string html(std::string_view s) {
  std::string out;
  for (const char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string str_field(const Json& j, const char* k) {
  auto it = j.find(k);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string size_text(std::uint64_t bytes) {
  if (bytes < 1024) return fmt::format("{} B", bytes);
  const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = -1;
  while (v >= 1024 && u < 3) v /= 1024, ++u;
  return fmt::format("{:.1f} {} ({} bytes)", v, units[u], bytes);
}

std::string source_text(const Json& a) {
  auto s = a.find("source");
  if (s == a.end() || !s->is_object()) return "";
  std::string out = str_field(*s, "kind") + " " + str_field(*s, "id");
  if (auto d = str_field(*s, "detail"); !d.empty()) out += " (" + d + ")";
  return out;
}

struct Row {
  std::vector<std::string> cells;
};

// The report's content, once; rendered as Markdown or HTML.
struct Content {
  std::vector<std::pair<std::string, std::string>> summary;
  std::vector<std::string> artifact_header;
  std::vector<Row> artifacts;
  std::vector<std::string> record_header;
  std::vector<Row> records;
  std::size_t records_omitted = 0;
};

Content build(const CustodyInput& in) {
  Content c;
  const auto& m = in.manifest;
  std::map<std::string, std::size_t> kinds;
  std::map<std::string, std::size_t> actors;
  for (const auto& r : in.records) {
    ++kinds[std::string(to_string(r.kind))];
    ++actors[r.actor];
  }
  std::string kinds_text, actors_text;
  for (const auto& [k, n] : kinds)
    kinds_text += fmt::format("{}{} {}", kinds_text.empty() ? "" : ", ", n, k);
  for (const auto& [a, n] : actors)
    actors_text += fmt::format("{}{} ({})", actors_text.empty() ? "" : ", ", a, n);
  c.summary = {
      {"Incident", m.incident},
      {"Records", in.records.empty() ? "0"
                                     : fmt::format("{} (sequence 1 to {}), {} to {}", m.records,
                                                   m.records, record_time(in.records.front().time),
                                                   record_time(in.records.back().time))},
      {"Record kinds", kinds_text},
      {"Actors", actors_text},
      {"Ledger head (hash of the last record)", m.head},
      {"Signed checkpoint",
       fmt::format("record {}, signed {}", in.checkpoint.seq, record_time(in.checkpoint.time))},
      {"Signing key fingerprint", m.key_fingerprint},
      {"Artifacts", fmt::format("{} ({}), content {}", m.artifacts, size_text(in.artifact_bytes),
                                m.artifacts_included ? "included" : "NOT included")},
      {"Exported", fmt::format("{} by {}", m.exported_at, m.exported_by)},
  };
  c.artifact_header = {"SHA-256",  "Size",      "Name",           "Source", "Tool",
                       "Acquired", "Committed", "Retained until", "Storage"};
  for (const auto& a : in.artifacts) {
    const auto size = a.find("size");
    c.artifacts.push_back(Row{
        {str_field(a, "sha256"),
         size != a.end() && size->is_number_unsigned() ? size_text(size->get<std::uint64_t>()) : "",
         truncate_utf8(str_field(a, "name"), kSummaryChars),
         truncate_utf8(source_text(a), kSummaryChars),
         truncate_utf8(str_field(a, "tool") + " " + str_field(a, "tool_version"), kSummaryChars),
         str_field(a, "started"), str_field(a, "committed"), str_field(a, "retain_until"),
         truncate_utf8(
             str_field(a, "backend") + " " + str_field(a, "location") +
                 (str_field(a, "lock_mode").empty() ? "" : " " + str_field(a, "lock_mode")),
             kSummaryChars)}});
  }
  c.record_header = {"Seq", "Time", "Actor", "Kind", "Record hash", "Summary"};
  for (const auto& r : in.records) {
    if (c.records.size() >= kMaxReportRows) {
      ++c.records_omitted;
      continue;
    }
    std::string summary =
        r.kind == RecordKind::kArtifact
            ? fmt::format("{} ({})", str_field(r.payload, "name"), str_field(r.payload, "sha256"))
            : (r.payload.is_string() ? r.payload.get<std::string>() : canonical_json(r.payload));
    c.records.push_back(
        Row{{std::to_string(r.seq), record_time(r.time), truncate_utf8(r.actor, kSummaryChars),
             std::string(to_string(r.kind)), r.hash, truncate_utf8(summary, kSummaryChars)}});
  }
  return c;
}

constexpr std::string_view kFormatExplanation =
    "Each line of `ledger.log` is one record: 64 hex digits (the record's SHA-256), one space, "
    "and the record as canonical JSON. The hash is taken over the JSON text followed by a line "
    "feed. Every record starts with `{\"seq\":N,\"prev\":\"H\",` where N counts from 1 and H is "
    "the hash of the record before it (64 zeros for the first), so changing, removing, adding or "
    "reordering any record breaks the chain from that point. `checkpoint.txt` names the last "
    "record and its hash; `checkpoint.sig` is the Ed25519 signature of exactly that file, made "
    "with the private key whose public half is `public_key.pem`. Artifacts are stored under "
    "their own SHA-256, and the ledger's `artifact` records name those hashes, so the signature "
    "covers the artifacts too.";

constexpr std::string_view kKeyAdvice =
    "A signature only proves something if the public key is the custodian's. Compare the "
    "fingerprint printed by step 3 with the one the custodian gave you through another channel "
    "(phone, signed email, ticket); `firebreak evidence verify --expect-key FINGERPRINT BUNDLE` "
    "does the same check.";

}  // namespace

Json summarize_payload(const Json& payload) {
  return Json(truncate_utf8(canonical_json(payload), kSummaryChars));
}

std::string shell_verification_script(bool artifacts_included) {
  std::string s = R"SH(set -eu
export LC_ALL=C
# 1. Every record's hash, its sequence number, and its link to the record before it.
prev=0000000000000000000000000000000000000000000000000000000000000000
n=0
while IFS= read -r line; do
  n=$((n + 1))
  hash=${line%% *}
  body=${line#* }
  got=$(printf '%s\n' "$body" | sha256sum | cut -c1-64)
  if [ "$got" != "$hash" ]; then echo "record $n: hash mismatch"; exit 1; fi
  case "$body" in
    "{\"seq\":$n,\"prev\":\"$prev\","*) ;;
    *) echo "record $n: wrong sequence number or broken link to the record before"; exit 1 ;;
  esac
  prev=$hash
done < ledger.log
if [ -n "$(tail -c 1 ledger.log)" ]; then echo "ledger.log: incomplete last line"; exit 1; fi
echo "chain OK: $n records, head $prev"
# 2. The checkpoint names exactly this last record, and its signature is valid.
grep -qx "seq: $n" checkpoint.txt && grep -qx "head: $prev" checkpoint.txt ||
  { echo "checkpoint.txt does not cover record $n"; exit 1; }
openssl pkeyutl -verify -pubin -inkey public_key.pem -rawin -in checkpoint.txt -sigfile checkpoint.sig
# 3. The signing key's fingerprint: compare it with the one the custodian gave you.
fp=$(openssl pkey -pubin -in public_key.pem -outform DER | sha256sum | cut -c1-64)
grep -qx "key: $fp" checkpoint.txt || { echo "checkpoint.txt names another key"; exit 1; }
echo "signing key fingerprint: $fp"
# 4. Every artifact is recorded in the (now verified) ledger, and vice versa.
while read -r sum name; do
  grep -F '"kind":"artifact","payload":{' ledger.log | grep -qF "\"sha256\":\"$sum\"" ||
    { echo "artifact $sum is not recorded in the ledger"; exit 1; }
done < artifacts/SHA256SUMS
recorded=$(grep -F '"kind":"artifact","payload":{' ledger.log | grep -o '"sha256":"[0-9a-f]\{64\}"' | sort -u | wc -l)
listed=$(cut -c1-64 artifacts/SHA256SUMS | sort -u | wc -l)
if [ "$recorded" != "$listed" ]; then echo "the ledger records $recorded artifacts, SHA256SUMS lists $listed"; exit 1; fi
)SH";
  if (artifacts_included) {
    s += R"SH(# 5. Every artifact's content.
(cd artifacts && sha256sum --check --strict --quiet SHA256SUMS)
echo "artifacts OK: $listed"
)SH";
  } else {
    s += "# 5. (This bundle does not include artifact content: check copies you hold with\n"
         "#    sha256sum against artifacts/SHA256SUMS.)\n";
  }
  s += "echo \"bundle VERIFIED\"\n";
  return s;
}

std::string custody_report_markdown(const CustodyInput& in) {
  const Content c = build(in);
  std::string out;
  fmt::format_to(std::back_inserter(out), "# Chain of custody: incident {}\n\n",
                 md_cell(in.manifest.incident));
  out +=
      "This bundle holds the evidence ledger of one incident, exported by firebreak: every "
      "observation, action, approval and artifact recorded while the incident was handled, "
      "hash-chained and signed.\n\n";
  out += "| | |\n|---|---|\n";
  for (const auto& [k, v] : c.summary) out += "| " + md_cell(k) + " | " + md_cell(v) + " |\n";
  out += "\n**Key fingerprint check.** " + std::string(kKeyAdvice) + "\n\n";
  out += "## Artifacts\n\n";
  if (c.artifacts.empty()) {
    out += "No artifacts were recorded.\n\n";
  } else {
    out += "|";
    for (const auto& h : c.artifact_header) out += " " + h + " |";
    out += "\n|";
    for (std::size_t i = 0; i < c.artifact_header.size(); ++i) out += "---|";
    out += "\n";
    for (const auto& r : c.artifacts) {
      out += "|";
      for (const auto& cell : r.cells) out += " " + md_cell(cell) + " |";
      out += "\n";
    }
    out += "\n";
  }
  out += "## Ledger\n\n|";
  for (const auto& h : c.record_header) out += " " + h + " |";
  out += "\n|";
  for (std::size_t i = 0; i < c.record_header.size(); ++i) out += "---|";
  out += "\n";
  for (const auto& r : c.records) {
    out += "|";
    for (const auto& cell : r.cells) out += " " + md_cell(cell) + " |";
    out += "\n";
  }
  if (c.records_omitted > 0) {
    fmt::format_to(std::back_inserter(out), "\n({} more records are in `ledger.log`.)\n",
                   c.records_omitted);
  }
  out += "\n## How to verify this bundle\n\n";
  out += "### With firebreak\n\n```sh\nfirebreak evidence verify --expect-key " +
         in.manifest.key_fingerprint + " .\n```\n\n";
  out += "### With sha256sum and openssl alone\n\n";
  out += std::string(kFormatExplanation) + "\n\n";
  out +=
      "Run these commands with `sh` (or `bash`) inside the bundle directory; they need only "
      "coreutils, grep and OpenSSL 3. Any failure stops them with a message naming the "
      "record; the last line printed is `bundle VERIFIED` when everything holds.\n\n";
  out += "```sh\n" + shell_verification_script(in.manifest.artifacts_included) + "```\n";
  return out;
}

std::string custody_report_html(const CustodyInput& in) {
  const Content c = build(in);
  std::string out;
  out += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n";
  fmt::format_to(std::back_inserter(out), "<title>Chain of custody: incident {}</title>\n",
                 html(in.manifest.incident));
  out +=
      "<style>body{font-family:sans-serif;margin:2em;max-width:110em}"
      "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #bbb;padding:.3em .6em;"
      "text-align:left;vertical-align:top}th{background:#eee}code,pre,.h{font-family:monospace}"
      ".h{word-break:break-all}pre{background:#f6f6f6;padding:1em;overflow-x:auto}</style>\n";
  out += "</head><body>\n";
  fmt::format_to(std::back_inserter(out), "<h1>Chain of custody: incident {}</h1>\n",
                 html(in.manifest.incident));
  out +=
      "<p>This bundle holds the evidence ledger of one incident, exported by firebreak: every "
      "observation, action, approval and artifact recorded while the incident was handled, "
      "hash-chained and signed.</p>\n<table>\n";
  for (const auto& [k, v] : c.summary) {
    out += "<tr><th>" + html(k) + "</th><td class=\"h\">" + html(v) + "</td></tr>\n";
  }
  out += "</table>\n<p><strong>Key fingerprint check.</strong> " + html(kKeyAdvice) + "</p>\n";
  auto table = [&](const std::vector<std::string>& header, const std::vector<Row>& rows) {
    out += "<table>\n<tr>";
    for (const auto& h : header) out += "<th>" + html(h) + "</th>";
    out += "</tr>\n";
    for (const auto& r : rows) {
      out += "<tr>";
      for (const auto& cell : r.cells) out += "<td class=\"h\">" + html(cell) + "</td>";
      out += "</tr>\n";
    }
    out += "</table>\n";
  };
  out += "<h2>Artifacts</h2>\n";
  if (c.artifacts.empty()) {
    out += "<p>No artifacts were recorded.</p>\n";
  } else {
    table(c.artifact_header, c.artifacts);
  }
  out += "<h2>Ledger</h2>\n";
  table(c.record_header, c.records);
  if (c.records_omitted > 0) {
    fmt::format_to(std::back_inserter(out), "<p>({} more records are in ledger.log.)</p>\n",
                   c.records_omitted);
  }
  out += "<h2>How to verify this bundle</h2>\n<h3>With firebreak</h3>\n<pre><code>";
  out += html("firebreak evidence verify --expect-key " + in.manifest.key_fingerprint + " .");
  out += "</code></pre>\n<h3>With sha256sum and openssl alone</h3>\n<p>";
  out += html(kFormatExplanation);
  out +=
      "</p>\n<p>Run these commands with <code>sh</code> (or <code>bash</code>) inside the "
      "bundle directory; they need only coreutils, grep and OpenSSL 3. Any failure stops them "
      "with a message naming the record; the last line printed is <code>bundle "
      "VERIFIED</code> when everything holds.</p>\n<pre><code>";
  out += html(shell_verification_script(in.manifest.artifacts_included));
  out += "</code></pre>\n</body></html>\n";
  return out;
}

}  // namespace firebreak::evidence

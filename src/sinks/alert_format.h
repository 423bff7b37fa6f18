#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "src/engine/alert.h"

namespace kaudit {

enum class AlertFormat {
  kJson,   // native kaudit JSON
  kText,   // one readable line for terminals
  kFalco,  // Falco's JSON output (what falcosidekick accepts)
  kEcs,    // Elastic Common Schema document
  kHec,    // Splunk HTTP Event Collector envelope around the native JSON
};

std::optional<AlertFormat> ParseAlertFormat(std::string_view name);
std::string_view AlertFormatName(AlertFormat f);

struct FormatOptions {
  std::string cluster;   // cluster_name from the config
  std::string hostname;  // the host kaudit runs on (Falco/HEC "hostname"/"host")
  bool color = false;    // text only
};

// Appends one alert in `format` (no trailing newline).
void AppendAlert(const Alert& a, AlertFormat format, const FormatOptions& opts, std::string& out);

// The pieces, for tests and other formats.
void AppendAlertJson(const Alert& a, std::string_view cluster, std::string& out);
void AppendAlertText(const Alert& a, bool color, std::string& out);
void AppendAlertFalco(const Alert& a, const FormatOptions& opts, std::string& out);
void AppendAlertEcs(const Alert& a, const FormatOptions& opts, std::string& out);
void AppendAlertHec(const Alert& a, const FormatOptions& opts, std::string& out);

// Falco priority for a severity: critical->Critical, high->Error, medium->Warning,
// low->Notice, info->Informational.
std::string_view FalcoPriority(Severity s);

// This machine's hostname (for FormatOptions::hostname).
std::string LocalHostname();

}  // namespace kaudit

#pragma once

#include <string>
#include <string_view>

#include "src/engine/alert.h"

namespace kaudit {

enum class AlertFormat { kJson, kText };

// Native JSON (one object, no trailing newline). `cluster` is the configured cluster name.
void AppendAlertJson(const Alert& a, std::string_view cluster, std::string& out);
// One readable line for terminals: time, severity, detector, message, auditID.
void AppendAlertText(const Alert& a, bool color, std::string& out);

}  // namespace kaudit

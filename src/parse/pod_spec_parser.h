#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "src/event/audit_event.h"
#include "src/event/pod_spec.h"

namespace kaudit {

// Extracts a PodSpecView from a Kubernetes object (a Pod, a workload with a pod template, a
// CronJob, or a strategic-merge patch of one) found by structure, not by kind: any object
// whose spec (or template.spec, or jobTemplate.spec.template.spec) has container lists.
class PodSpecParser {
 public:
  PodSpecParser();
  ~PodSpecParser();
  // `json` must have SIMDJSON_PADDING (64) readable bytes after it within `capacity`.
  // Returns nullptr when the object holds no pod spec or is not valid JSON. The result is
  // valid until the next call.
  const PodSpecView* Parse(std::string_view json, size_t capacity);
  // The pod status read by the last Parse (also when it found no pod spec); nullptr when that
  // object carried no pod or host IP. Valid until the next call.
  const PodStatusView* status() const;
  // Copies `json` into a padded buffer first (tests, tools).
  const PodSpecView* ParseCopy(std::string_view json);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// A pod object's spec and status as the detectors read them (has_spec: it holds a pod spec;
// has_status: it names a pod or host IP).
struct ParsedPodObject {
  PodSpecView spec;
  PodStatusView status;
  bool has_spec = false, has_status = false;
};

// LazyObjects over the current event's raw requestObject/responseObject spans, all inside
// one buffer that ends (padding included) at `buffer_end`.
class LazyObjectCache final : public LazyObjects {
 public:
  void Reset(std::string_view request, std::string_view response, const char* buffer_end) {
    request_.Reset(request);
    response_.Reset(response);
    buffer_end_ = buffer_end;
  }
  // Serves a side's pod spec and status from `parsed` (the same parse, done already) instead
  // of parsing on first use. Call after Reset.
  void PresetRequest(const ParsedPodObject& parsed) { request_.Preset(parsed); }
  void PresetResponse(const ParsedPodObject& parsed) { response_.Preset(parsed); }
  // What PresetRequest/PresetResponse gave since the last Reset, else nullptr.
  const ParsedPodObject* preset_request() const { return request_.preset(); }
  const ParsedPodObject* preset_response() const { return response_.preset(); }
  const PodSpecView* RequestPodSpec() override { return request_.Spec(buffer_end_); }
  const PodSpecView* ResponsePodSpec() override { return response_.Spec(buffer_end_); }
  const PodStatusView* RequestPodStatus() override { return request_.Status(buffer_end_); }
  const PodStatusView* ResponsePodStatus() override { return response_.Status(buffer_end_); }

 private:
  // One side (requestObject or responseObject), parsed at most once.
  class Side {
   public:
    void Reset(std::string_view json) {
      json_ = json;
      done_ = false;
      preset_ = nullptr;
    }
    void Preset(const ParsedPodObject& parsed) {
      preset_ = &parsed;
      done_ = true;
      spec_ = parsed.has_spec ? &parsed.spec : nullptr;
      status_ = parsed.has_status ? &parsed.status : nullptr;
    }
    const PodSpecView* Spec(const char* buffer_end) {
      Parse(buffer_end);
      return spec_;
    }
    const PodStatusView* Status(const char* buffer_end) {
      Parse(buffer_end);
      return status_;
    }
    const ParsedPodObject* preset() const { return preset_; }

   private:
    void Parse(const char* buffer_end) {
      if (done_) return;
      done_ = true;
      spec_ = nullptr;
      status_ = nullptr;
      if (json_.empty()) return;
      spec_ = parser_.Parse(json_, buffer_end - json_.data());
      status_ = parser_.status();
    }
    PodSpecParser parser_;
    std::string_view json_;
    bool done_ = false;
    const ParsedPodObject* preset_ = nullptr;
    const PodSpecView* spec_ = nullptr;
    const PodStatusView* status_ = nullptr;
  };

  Side request_, response_;
  const char* buffer_end_ = nullptr;
};

}  // namespace kaudit

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

// LazyObjects over the current event's raw requestObject/responseObject spans, all inside
// one buffer that ends (padding included) at `buffer_end`.
class LazyObjectCache final : public LazyObjects {
 public:
  void Reset(std::string_view request, std::string_view response, const char* buffer_end) {
    request_ = request;
    response_ = response;
    buffer_end_ = buffer_end;
    request_done_ = response_done_ = false;
  }
  const PodSpecView* RequestPodSpec() override;
  const PodSpecView* ResponsePodSpec() override;
  const PodStatusView* RequestPodStatus() override {
    RequestPodSpec();
    return request_.empty() ? nullptr : request_parser_.status();
  }
  const PodStatusView* ResponsePodStatus() override {
    ResponsePodSpec();
    return response_.empty() ? nullptr : response_parser_.status();
  }

 private:
  PodSpecParser request_parser_, response_parser_;
  std::string_view request_, response_;
  const char* buffer_end_ = nullptr;
  bool request_done_ = false, response_done_ = false;
  const PodSpecView* request_spec_ = nullptr;
  const PodSpecView* response_spec_ = nullptr;
};

}  // namespace kaudit

#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

// Entry points shared by the libFuzzer targets (tests/fuzz/*_fuzz.cc) and the regression unit
// test (tests/unit/fuzz/regress_test.cc), which replays tests/data/regress/<target>/* through
// the same functions. Each must return normally for any input: bad input is counted, never
// a crash, a sanitizer report, a hang or unbounded memory.
namespace kaudit::fuzz {

// EventReader over the bytes: streamed (small chunks, so documents straddle chunk boundaries)
// with one thread and with two, which must make the same handler calls and counts (else a
// trap), and as one in-memory body (ParseBuffer). Every field of every event is read.
void FuzzFraming(const uint8_t* data, size_t size);
// ParseBuffer, then the full dispatcher with every detector enabled, then Finish.
void FuzzDetectors(const uint8_t* data, size_t size);
// FuzzFraming's streamed reads with one thread and with two (small chunks, two in flight):
// both readers' handler calls and counts when they differ, else empty.
std::string FramingDifference(const uint8_t* data, size_t size);
// PodSpecParser and K8sObjectParser over the bytes as a Kubernetes object.
void FuzzPodSpec(const uint8_t* data, size_t size);
// LoadConfigString, then BuildDetectors when the config loads.
void FuzzConfig(const uint8_t* data, size_t size);
// The request-URI decoding the exec detector uses: QueryValues("command"/"container"),
// UrlDecode, IsHealthOrVersionPath.
void FuzzExecCommand(const uint8_t* data, size_t size);
// One in-process webhook server (plain HTTP, token, spool): the first byte picks the request's
// headers (token right/wrong/none, gzip/br encoding), the rest is POSTed as the body over a
// kept-alive connection; any answer but 200/400/401/403/413/415/429/503 is a crash.
void FuzzWebhook(const uint8_t* data, size_t size);

// DecodeCsrSubject (base64 of a PEM PKCS#10 request, as in a CSR's spec.request). The first
// byte picks what the rest is: spec.request itself, a DER request (wrapped in PEM and base64
// here, so the fuzzer mutates the ASN.1) or the PEM text.
void FuzzCsr(const uint8_t* data, size_t size);

// The targets by name ("framing", "detectors", "pod_spec", "config", "exec_command",
// "webhook", "csr"); nullptr for an unknown name.
using FuzzEntry = void (*)(const uint8_t*, size_t);
FuzzEntry FuzzEntryByName(std::string_view name);

}  // namespace kaudit::fuzz

#include <cstdlib>
#include <string>

#include "kernel_table.h"

namespace ng {
namespace {

struct Choice {
  Isa isa;
  std::string warning;
};

Choice choose() {
  Choice c{best_isa(), ""};
  const char* req = std::getenv("NODEGRAD_ISA");
  if (!req || !*req) return c;
  Isa want;
  if (!parse_isa(req, &want)) {
    c.warning = std::string("NODEGRAD_ISA=") + req + " is not one of scalar, avx2, avx512, neon; using " +
                isa_name(c.isa);
  } else if (!isa_supported(want)) {
    c.warning = std::string("NODEGRAD_ISA=") + req + " is not supported by this CPU/OS; using " +
                isa_name(c.isa);
  } else {
    c.isa = want;
  }
  return c;
}

const Choice& choice() {
  static const Choice c = choose();
  return c;
}

}  // namespace

Isa active_isa() { return choice().isa; }

const char* isa_request_warning() {
  return choice().warning.empty() ? nullptr : choice().warning.c_str();
}

}  // namespace ng

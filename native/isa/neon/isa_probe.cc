// Marks that this ISA's library was built (nativeInfo lists the compiled paths).
namespace ng { namespace neon { extern const char* const compiled_isa; const char* const compiled_isa = "neon"; } }

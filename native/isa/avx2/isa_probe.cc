// Marks that this ISA's library was built (nativeInfo lists the compiled paths).
namespace ng { namespace avx2 { extern const char* const compiled_isa; const char* const compiled_isa = "avx2"; } }

{
  "target_defaults": {
    "include_dirs": ["native/include", "<!(node -p \"require('node-addon-api').include_dir\")"],
    "cflags": ["-O3", "-fPIC", "-fno-math-errno", "-fno-trapping-math", "-fvisibility=hidden"],
    "cflags!": ["-fno-exceptions", "-O2"],
    "cflags_cc": ["-std=c++17", "-fexceptions"],
    "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++20"],
    "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS", "NODEGRAD_VERSION=\"<!(node scripts/gyp-sources.cjs --version)\""],
    "xcode_settings": {
      "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
      "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
      "OTHER_CFLAGS": ["-O3", "-fno-math-errno", "-fno-trapping-math"]
    }
  },
  "targets": [
    {
      "target_name": "ng_core",
      "type": "static_library",
      "sources": ["<!@(node scripts/gyp-sources.cjs native/core)"]
    },
    {
      "target_name": "ng_scalar",
      "type": "static_library",
      "sources": ["<!@(node scripts/gyp-sources.cjs native/isa/scalar)"]
    },
    {
      "target_name": "nodegrad",
      "sources": ["<!@(node scripts/gyp-sources.cjs native/binding)"],
      "dependencies": ["ng_core", "ng_scalar"],
      "conditions": [
        ["target_arch=='x64'", { "dependencies": ["ng_avx2", "ng_avx512"] }],
        ["target_arch=='arm64'", { "dependencies": ["ng_neon"] }]
      ]
    }
  ],
  "conditions": [
    ["target_arch=='x64'", {
      "targets": [
        {
          "target_name": "ng_avx2",
          "type": "static_library",
          "sources": ["<!@(node scripts/gyp-sources.cjs native/isa/avx2)"],
          "cflags": ["-mavx2", "-mfma", "-mf16c"],
          "xcode_settings": { "OTHER_CFLAGS": ["-mavx2", "-mfma", "-mf16c"] }
        },
        {
          "target_name": "ng_avx512",
          "type": "static_library",
          "sources": ["<!@(node scripts/gyp-sources.cjs native/isa/avx512)"],
          "cflags": ["-mavx512f", "-mavx512vl", "-mavx512bw", "-mavx512dq", "-mavx2", "-mfma", "-mf16c",
                     "-mprefer-vector-width=512"],
          "xcode_settings": { "OTHER_CFLAGS": ["-mavx512f", "-mavx512vl", "-mavx512bw", "-mavx512dq",
                                               "-mavx2", "-mfma", "-mf16c", "-mprefer-vector-width=512"] }
        }
      ]
    }],
    ["target_arch=='arm64'", {
      "targets": [
        {
          "target_name": "ng_neon",
          "type": "static_library",
          "sources": ["<!@(node scripts/gyp-sources.cjs native/isa/neon)"]
        }
      ]
    }]
  ]
}

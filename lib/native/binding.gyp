{
  "targets": [
    {
      "target_name": "tspod_native",
      "sources": ["tspod_native.c"],
      "cflags": ["-O2", "-Wall"]
    }
  ]
}

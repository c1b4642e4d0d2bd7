"""Link-layer test vectors (frames and noisy streams) for vectors_gen.py."""


def link_vectors():
    return {}

"""Reading a /metrics answer in the tests: prometheus_client's own text parser."""

from prometheus_client.parser import text_string_to_metric_families


def samples(text):
    """The exposition TEXT -> {sample name: [Sample]}."""
    out = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            out.setdefault(s.name, []).append(s)
    return out


def value(found, name, **labels):
    """The sum of the samples NAME whose labels include LABELS."""
    return sum(s.value for s in found.get(name, ())
               if all(s.labels.get(k) == v for k, v in labels.items()))

"""Pushing events to the integrators: the webhook body and its signature
(payload.py, signing.py) and the delivery thread (dispatcher.py) that fans
each event out to the subscribed clients' queues and sends them, at least
once, until the receiver answers 2xx. Subscriptions and the queue's rows
are hub/services/webhooks.py; the events themselves hub/services/events.py.
"""

"""Dead-lettering through pika (Debian's python3-pika): a work queue with a dead-letter exchange and a
message TTL; one message is rejected, one expires, and both arrive in the dead-letter queue with the
x-death history RabbitMQ writes. Usage: python3 pika_dead_letter.py AMQP_URL NAME_PREFIX. Prints OK."""
import sys

import pika

url, prefix = sys.argv[1], sys.argv[2]
work, dlx, dlq = f"{prefix}.work", f"{prefix}.dlx", f"{prefix}.dlq"
conn = pika.BlockingConnection(pika.URLParameters(url))
ch = conn.channel()
ch.confirm_delivery()
ch.exchange_declare(exchange=dlx, exchange_type="fanout", auto_delete=True)
ch.queue_declare(queue=dlq, exclusive=True)
ch.queue_bind(queue=dlq, exchange=dlx)
ch.queue_declare(queue=work, exclusive=True, arguments={"x-dead-letter-exchange": dlx})

ch.basic_publish(exchange="", routing_key=work, body=b"bad order",
                 properties=pika.BasicProperties(message_id="m-1", headers={"attempt": 1}))
method, props, body = ch.basic_get(queue=work, auto_ack=False)
assert body == b"bad order", body
ch.basic_reject(method.delivery_tag, requeue=False)

ch.basic_publish(exchange="", routing_key=work, body=b"stale order",
                 properties=pika.BasicProperties(message_id="m-2", expiration="50"))

seen = []
for method, props, body in ch.consume(dlq, inactivity_timeout=5):
    assert method is not None, "timed out waiting for dead letters"
    seen.append((body, props))
    ch.basic_ack(method.delivery_tag)
    if len(seen) == 2:
        break
ch.cancel()

(b1, p1), (b2, p2) = seen
assert b1 == b"bad order" and p1.message_id == "m-1", (b1, p1)
d1 = p1.headers["x-death"][0]
assert d1["reason"] == "rejected" and d1["queue"] == work and d1["count"] == 1, d1
assert d1["exchange"] == "" and d1["routing-keys"] == [work], d1
assert p1.headers["attempt"] == 1 and p1.headers["x-first-death-reason"] == "rejected", p1.headers
assert b2 == b"stale order" and p2.expiration is None, (b2, p2)
d2 = p2.headers["x-death"][0]
assert d2["reason"] == "expired" and d2["original-expiration"] == "50", d2
conn.close()
print("OK")

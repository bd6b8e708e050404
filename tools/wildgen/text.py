"""Free text that goes inside log records: user prompts, model outputs, request bodies.

Serving logs carry what users send. Their prompts speak of errors, failures, timeouts and
crashes in every sense but the one a log matcher looks for, in many languages; the generator
draws them from these pools so that such words show up in healthy lines, in the proportions a
chat service sees, and never shaped after any pattern library.
"""

from __future__ import annotations

import random

# sentences people send to a chat model (support, code, writing, data questions)
SENTENCES = (
    "Can you explain why my unit tests fail only on the CI runner and not locally?",
    "Rewrite this paragraph so it sounds friendlier to a customer who was charged twice.",
    "What is the difference between a timeout and a deadline in gRPC?",
    "Summarise the attached meeting notes in five bullet points.",
    "My Spring Boot service throws an exception on startup about a missing bean, what should I check?",
    "Translate the following product description into German and keep the bullet structure.",
    "Write a haiku about a warning light on an old car dashboard.",
    "Our quarterly report shows the error bars overlapping; is the difference still significant?",
    "Give me three names for a bakery that sells sourdough and coffee.",
    "How do I handle a failed payment webhook so the customer is not billed twice?",
    "Explain the OOM killer in Linux to a new engineer in two paragraphs.",
    "Draft a polite reply to a supplier whose delivery was denied at customs.",
    "Why does pandas raise a SettingWithCopyWarning here and how do I silence it correctly?",
    "List the steps to reset a router whose admin password was lost.",
    "What are common causes of an unauthorized response from an S3 presigned URL?",
    "Compose a short story about a lighthouse keeper who is killed off in chapter one but returns as a ghost.",
    "Convert this SQL query to use a window function instead of a self join.",
    "Is it safe to retry a POST request after a network timeout? Explain idempotency keys.",
    "Tell me a joke about a programmer and a null pointer exception.",
    "How much water should I give a fern that is kept near a radiator?",
    "Explain what CUDA streams are and when overlapping copies with kernels helps.",
    "What does NCCL stand for and why do training jobs use it?",
    "Create a lesson plan about volcanoes for ten year old students.",
    "My React form shows a validation error even after the field is filled in. Why?",
    "Write a cover letter for a data analyst role at a logistics company.",
    "Fix the grammar: their going to the store tomorrow and buyed apples.",
    "Which is faster for this workload, a hash join or a merge join, and why?",
    "Explain the error budget concept from site reliability engineering.",
    "A user reports that login failed three times and the account was locked; draft the support answer.",
    "What precautions should hikers take when a storm warning is issued?",
    "Outline a blog post about migrating a monolith to services without downtime.",
    "Give me a regex that matches ISO dates but not times.",
    "Summarise the plot of Hamlet in the style of a sports commentator.",
    "Why is my Kubernetes pod stuck in ContainerCreating, in general terms?",
    "Describe the Xid field on an insurance claim form we received; it is an internal reference number.",
    "Compare PostgreSQL and MySQL for a write-heavy analytics workload.",
    "How can I speed up a Python loop that parses ten million JSON lines?",
    "Generate five interview questions about distributed systems failure modes.",
    "Explain backpressure in streaming systems with an everyday analogy.",
    "Write unit tests for a function that returns the nth Fibonacci number.",
)
# prompts in other languages and scripts (UTF-8 in the log)
FOREIGN = (
    "请总结以下日志中的主要问题，并给出三条建议。",
    "この文章を丁寧な日本語に書き直してください。締め切りに間に合わなかった理由も含めて。",
    "Résume ce rapport en trois phrases, en gardant les chiffres clés.",
    "¿Cuál es la diferencia entre un error de sintaxis y un error lógico?",
    "Объясни, почему запрос завершился с ошибкой тайм-аута, простыми словами.",
    "다음 이메일을 더 정중하게 바꿔 주세요. 배송이 지연되었다는 내용입니다.",
    "Schreibe eine kurze Zusammenfassung über die Fehlerbehandlung in Go. 🚀",
    "Traduza para o português: the request failed because the token expired.",
)
SYSTEM = ("You are a helpful assistant.", "You are a concise assistant for the customer support team.",
          "You are a senior software engineer. Answer with code when useful.",
          "You answer questions about our internal documentation. Cite the page titles.")
OUTPUT = (
    "Sure! Here is a summary of the main points:", "The short answer is that it depends on the workload.",
    "There are a few possible causes.", "Here is a revised version of your text.",
    "Let's break this down step by step.", "I could not find that page in the documentation, but",
    "The error you are seeing usually means the client gave up before the server answered.",
)
MODELS = ("Qwen/Qwen3-8B", "Qwen/Qwen2.5-7B-Instruct", "meta-llama/Llama-3.1-8B-Instruct",
          "mistralai/Mistral-Small-24B-Instruct-2501", "google/gemma-3-12b-it", "openai/gpt-oss-20b")
AGENTS = ("python-requests/2.32.3", "python-httpx/0.27.2", "OpenAI/Python 1.54.4", "curl/8.5.0",
          "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
          "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
          "kube-probe/1.31", "Prometheus/2.54.1", "Go-http-client/1.1", "okhttp/4.12.0")


def paragraph(rng: random.Random, sentences: int) -> str:
    """``sentences`` sentences of user text, now and then in another language."""
    out = []
    for _ in range(sentences):
        out.append(rng.choice(FOREIGN) if rng.random() < 0.04 else rng.choice(SENTENCES))
    return " ".join(out)


class Pool:
    """Pre-built texts of a few sizes, so that multi-KB records cost a lookup, not a build."""

    def __init__(self, rng: random.Random, n: int = 64) -> None:
        self.short = [paragraph(rng, rng.randint(1, 3)) for _ in range(n)]
        self.long = [paragraph(rng, rng.randint(8, 60)) for _ in range(n)]
        self.outputs = [rng.choice(OUTPUT) + " " + paragraph(rng, rng.randint(2, 20)) for _ in range(n)]
        # a base64 image part of a multimodal request (what a request logger prints in full)
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
        chunk = "".join(rng.choice(alphabet) for _ in range(4096))
        self.images = ["iVBORw0KGgoAAAANSUhEUgAA" + chunk * rng.randint(8, 60) for _ in range(4)]

    def prompt(self, rng: random.Random) -> str:
        return rng.choice(self.long) if rng.random() < 0.3 else rng.choice(self.short)

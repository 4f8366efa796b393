"""Offline evaluation harness for medchat: drives corpus, retrieval and assistant from outside.

Nothing in corpus/, retrieval/ or assistant/ imports this package. Entry point: `evals.cli.main`.
"""

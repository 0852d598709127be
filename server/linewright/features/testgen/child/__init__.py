"""Scripts that run inside the sandbox child, copied there by `sandbox.py`.

Never imported by the server: they use the standard library only (plus pytest and
coverage once contained), because the child may be another interpreter than Linewright's.
"""

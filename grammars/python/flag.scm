; Line-anomaly flags: lines kept as context but never scanned (features/anomalies/select.py).
; Comments and multi-line strings come from context.scm; this adds what only Python has.

; Docstrings
(expression_statement
  (string) @lw.skip)

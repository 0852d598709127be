;;; emacs_session.el --- drives linewright.el in a real Emacs (run by test_emacs.py)  -*- lexical-binding: t; -*-

;; emacs --batch -L editors/emacs -l tests/editors/emacs_session.el -f lw-test-run
;; Inputs come from the environment (LW_TEST_*); the outcome is written as JSON to
;; $LW_TEST_RESULT: what was shown, accepted, completed and flagged.

;;; Code:

(require 'json)
(require 'linewright)

(defconst lw-test-timeout 120 "Seconds to wait for each step.")
(defvar lw-test-result (list :errors nil))

(defun lw-test-put (key value)
  (setq lw-test-result (plist-put lw-test-result key value)))

(defun lw-test-finish (code)
  (with-temp-file (getenv "LW_TEST_RESULT")
    (insert (json-encode lw-test-result)))
  (kill-emacs code))

(defun lw-test-wait (what predicate)
  "Let Emacs run (processes, timers) until PREDICATE holds; fail the session if it never does."
  (let ((deadline (+ (float-time) lw-test-timeout)))
    (while (and (not (funcall predicate)) (< (float-time) deadline))
      (accept-process-output nil 0.05))
    (unless (funcall predicate)
      (lw-test-put :errors (list (format "timed out waiting for %s" what)))
      (lw-test-finish 1))))

(defun lw-test-start ()
  "Open the file and start eglot the way `eglot-ensure' does, from `eglot-server-programs'."
  (setq linewright-server-command
        (list (getenv "LW_TEST_PYTHON") "-m" "linewright" "serve")
        linewright-initialization-options
        (list :embedded (list :modelPath (getenv "LW_TEST_MODEL") :threads 1)
              :testgen (list :useModel :json-false)
              :completion (list :debounceMs 0 :maxTokens 16)
              ;; wide open: the tiny model's gibberish makes every line unusual
              :flag (list :minScore 1e-6 :maxLineTokens 8))
        linewright-idle-delay nil
        eglot-sync-connect t)
  (find-file (getenv "LW_TEST_FILE"))
  (apply #'eglot (eglot--guess-contact))
  (lw-test-wait "linewright-mode" (lambda () linewright-mode))
  (lw-test-put :major-mode (symbol-name major-mode)))

(defun lw-test-inline ()
  "Ask for a suggestion at the end of line 3 and accept it with TAB."
  (goto-char (point-min))
  (forward-line 2)
  (end-of-line)
  (let ((line-before (thing-at-point 'line t)))
    (linewright-complete)
    (lw-test-wait "an inline suggestion" (lambda () linewright--overlay))
    (lw-test-put :shown (vconcat linewright--shown))
    (execute-kbd-macro (kbd "TAB"))
    (lw-test-wait "the accept command's answer" (lambda () linewright--accepted))
    (lw-test-put :accepted (vconcat linewright--accepted))
    (lw-test-put :line-before line-before)
    (lw-test-put :line-after (thing-at-point 'line t))))

(defun lw-test-completion-at-point ()
  "Complete on a new comment line with `completion-at-point'."
  (end-of-line)
  (newline)
  (insert "    # note: ")
  (let* ((capf (run-hook-with-args-until-success 'completion-at-point-functions))
         (candidates (all-completions "" (nth 2 capf))))
    (lw-test-put :capf-candidates (length candidates)))
  (let ((before (length linewright--accepted)))
    (completion-at-point)
    (lw-test-wait "the completion item's command" (lambda () (> (length linewright--accepted) before))))
  (lw-test-put :accepted (vconcat linewright--accepted))
  (lw-test-put :text (buffer-string)))

(defun lw-test-diagnostics ()
  "Wait for the server's line-anomaly flags to reach flymake."
  (lw-test-wait "flymake diagnostics" (lambda () (flymake-diagnostics)))
  (lw-test-put :diagnostics
               (vconcat (mapcar #'flymake-diagnostic-text (flymake-diagnostics)))))

(defun lw-test-run ()
  (lw-test-start)
  (lw-test-inline)
  (lw-test-completion-at-point)
  (lw-test-diagnostics)
  (let ((server (eglot-current-server)))
    (eglot-shutdown server)
    (lw-test-wait "the server to exit" (lambda () (not (jsonrpc-running-p server)))))
  (lw-test-finish 0))

;;;; The overlay session (lw-test-run-overlay)

(defun lw-test-overlay ()
  "Type along a suggestion, then Backspace past its start."
  (goto-char (point-min))
  (forward-line 2)
  (end-of-line)
  (linewright-complete)
  (lw-test-wait "an inline suggestion" (lambda () linewright--overlay))
  (let ((text (linewright--item-text linewright--item)))
    (lw-test-put :suggestion text)
    (execute-kbd-macro (substring text 0 1))  ; typing along
    (lw-test-put :kept-while-typing (and linewright--overlay t))
    (lw-test-put :rest-while-typing
                 (and linewright--overlay
                      (substring-no-properties
                       (overlay-get linewright--overlay 'after-string))))
    (execute-kbd-macro (kbd "DEL DEL"))  ; back past the suggestion's start
    (lw-test-put :overlay-after-backspace (and linewright--overlay t))
    (lw-test-put :line-after-backspace (thing-at-point 'line t))))

(defun lw-test-generate ()
  "Generate tests: the command must return at once; the answer comes later."
  (goto-char (point-min))
  (forward-char 4)
  (let ((answer nil)
        (started (float-time)))
    (add-hook 'linewright-generate-tests-hook (lambda (result) (setq answer result)))
    (linewright-generate-tests)
    (lw-test-put :command-seconds (- (float-time) started))
    ;; keys typed meanwhile are handled, not discarded
    (execute-kbd-macro (kbd "C-e"))
    (lw-test-put :responsive (= (point) (line-end-position)))))

(defun lw-test-run-overlay ()
  (setq eglot-confirm-server-initiated-edits nil)
  (lw-test-start)
  (lw-test-overlay)
  (lw-test-put :terminal-accept-line
               (symbol-name (lookup-key linewright-suggestion-map [27 13])))
  (lw-test-generate)
  (lw-test-finish 0))

;;; emacs_session.el ends here

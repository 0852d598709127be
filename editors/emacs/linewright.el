;;; linewright.el --- Linewright language server for eglot  -*- lexical-binding: t; -*-

;; Version: 0.1.0
;; Package-Requires: ((emacs "28.1") (eglot "1.9"))
;; Keywords: languages, tools

;;; Commentary:

;; Registers `linewright serve' with eglot for the languages Linewright
;; parses, and adds what eglot does not do itself:
;;
;; - inline suggestions: after a pause in typing (or on `linewright-complete'),
;;   the suggestion from textDocument/inlineCompletion is shown as an overlay
;;   at point; TAB accepts it, C-<return> accepts its first line, C-g hides it;
;; - telemetry: the server is told when a suggestion is shown
;;   (linewright/didShowCompletion), accepted (the item's linewright.didAccept
;;   command) or partly accepted (linewright/didPartiallyAcceptCompletion);
;; - `completion-at-point' items run their accept command too (eglot 1.9
;;   does not run item commands).
;;
;; Diagnostics come through eglot's flymake backend as for any server.
;;
;;   (add-to-list 'load-path "/path/to/linewright/editors/emacs")
;;   (require 'linewright)
;;   (add-hook 'python-mode-hook #'eglot-ensure)

;;; Code:

(require 'cl-lib)
(require 'eglot)
(require 'json)
(require 'jsonrpc)

(defgroup linewright nil
  "Linewright: code-model completion over LSP."
  :group 'eglot
  :prefix "linewright-")

(defcustom linewright-server-command '("linewright" "serve")
  "Program and arguments that start the Linewright language server."
  :type '(repeat string))

(defcustom linewright-initialization-options nil
  "Settings sent as initializationOptions: a plist of linewright.toml's keys.
For example (:completion (:debounceMs 150) :backend (:kind \"ollama\"))."
  :type 'sexp)

(defconst linewright--directory
  (file-name-directory (or load-file-name (locate-library "linewright") ""))
  "Where this file is: the contract is found from here.")

(defun linewright--read-protocol ()
  "The server contract, `editors/protocol.json' beside this folder (or in it).
`python -m linewright.contract' generates it from the server's own declaration."
  (let ((file (cl-find-if #'file-readable-p
                          (list (expand-file-name "../protocol.json" linewright--directory)
                                (expand-file-name "protocol.json" linewright--directory)))))
    (unless file
      (error "Linewright: protocol.json not found near %s; keep the whole editors/ folder"
             linewright--directory))
    (let ((json-object-type 'alist) (json-key-type 'string) (json-array-type 'list))
      (json-read-file file))))

(defconst linewright--protocol (linewright--read-protocol)
  "The decoded contract: commands, notifications, languages.")

(defun linewright--contract-id (section name)
  "NAME when the contract's SECTION (\"commands\" or \"notifications\") has it."
  (if (assoc name (cdr (assoc section linewright--protocol)))
      name
    (error "Linewright: %s is not in the server contract (%s)" name section)))

(defun linewright--method (name)
  "The jsonrpc method keyword of the contract's notification NAME."
  (intern (concat ":" (linewright--contract-id "notifications" name))))

(defconst linewright--languages (cdr (assoc "languages" linewright--protocol))
  "Every language id the server manages.")

(defconst linewright--mode-languages
  '((python-mode :language-id "python") (python-ts-mode :language-id "python")
    (c-mode :language-id "c") (c-ts-mode :language-id "c")
    (c++-mode :language-id "cpp") (c++-ts-mode :language-id "cpp")
    (go-mode :language-id "go") (go-ts-mode :language-id "go")
    (java-mode :language-id "java") (java-ts-mode :language-id "java")
    (js-mode :language-id "javascript") (js-ts-mode :language-id "javascript")
    (typescript-mode :language-id "typescript")
    (typescript-ts-mode :language-id "typescript")
    (tsx-ts-mode :language-id "typescriptreact")
    (rust-mode :language-id "rust") (rust-ts-mode :language-id "rust")
    (verilog-mode :language-id "verilog"))
  "Major modes and the LSP language id each sends.")

(defcustom linewright-modes
  (cl-remove-if-not (lambda (entry) (member (nth 2 entry) linewright--languages))
                    linewright--mode-languages)
  "Major modes (with their LSP language ids) whose buffers Linewright manages.
By default, those whose language the server manages (the contract's list)."
  :type 'sexp)

(defconst linewright--accept-command
  (linewright--contract-id "commands" "linewright.didAccept"))

(defclass linewright-server (eglot-lsp-server) ()
  :documentation "The Linewright language server.")

(cl-defmethod eglot-initialization-options ((_server linewright-server))
  "Send `linewright-initialization-options'."
  (or linewright-initialization-options eglot--{}))

(cl-defmethod eglot-client-capabilities ((_server linewright-server))
  "Declare inline completion support.
The server then keeps automatic suggestions for the overlay and answers
`completion-at-point' only when asked."
  (let* ((caps (cl-call-next-method))
         (text-document (plist-get caps :textDocument)))
    (plist-put caps :textDocument
               (plist-put text-document :inlineCompletion
                          '(:dynamicRegistration :json-false)))))

(defun linewright--contact (_interactive)
  "The eglot contact: our server class and `linewright-server-command'."
  (cons 'linewright-server linewright-server-command))

;;;###autoload
(defun linewright-register ()
  "Tell eglot to use Linewright for `linewright-modes'."
  (add-to-list 'eglot-server-programs
               (cons linewright-modes #'linewright--contact)))

;;;; Telemetry

(defvar-local linewright--shown nil
  "Ids of the suggestions reported shown in this buffer.")

(defvar-local linewright--accepted nil
  "Ids whose accept command the server answered (newest first).")

(defun linewright--server ()
  "The Linewright server managing this buffer, or nil."
  (let ((server (eglot-current-server)))
    (and (cl-typep server 'linewright-server) server)))

(defun linewright--id (item)
  "The suggestion id in ITEM's accept command, or nil."
  (let ((command (plist-get item :command)))
    (and command (equal (plist-get command :command) linewright--accept-command)
         (aref (plist-get command :arguments) 0))))

(defun linewright--utf16-length (text)
  "Length of TEXT in UTF-16 code units (what LSP counts)."
  (cl-loop for char across text sum (if (> char #xFFFF) 2 1)))

(defun linewright--report-shown (server id)
  "Tell SERVER suggestion ID is on screen (once)."
  (when (and id (not (member id linewright--shown)))
    (push id linewright--shown)
    (jsonrpc-notify server (linewright--method "linewright/didShowCompletion")
                    (list :id id))))

(defun linewright--run-command (server command)
  "Run the LSP COMMAND on SERVER without blocking; remember accepted ids."
  (let ((buffer (current-buffer))
        (id (linewright--id (list :command command))))
    (jsonrpc-async-request
     server :workspace/executeCommand
     (list :command (plist-get command :command)
           :arguments (or (plist-get command :arguments) []))
     :success-fn (lambda (_result)
                   (when (and id (buffer-live-p buffer))
                     (with-current-buffer buffer
                       (push id linewright--accepted)))))))

(require 'linewright-inline)

;;;; completion-at-point

(defun linewright--capf-item (proxy table)
  "The LSP item behind completion PROXY of TABLE.
A completion read back from the buffer has no text properties: then
look it up in TABLE."
  (or (get-text-property 0 'eglot--lsp-item proxy)
      (let ((found (cl-find proxy (all-completions "" table) :test #'string=)))
        (and found (get-text-property 0 'eglot--lsp-item found)))))

(defun linewright-completion-at-point ()
  "`eglot-completion-at-point', whose accepted items also run their command."
  (let ((capf (eglot-completion-at-point)))
    (when capf
      (let* ((table (nth 2 capf))
             (props (nthcdr 3 capf))
             (exit (plist-get props :exit-function))
             (server (linewright--server)))
        (append (cl-subseq capf 0 3)
                (plist-put (copy-sequence props) :exit-function
                           (lambda (proxy status)
                             (when exit (funcall exit proxy status))
                             (let ((item (linewright--capf-item proxy table)))
                               (when (and server (memq status '(finished exact))
                                          (plist-get item :command))
                                 (linewright--run-command
                                  server (plist-get item :command)))))))))))

;;;; Minor mode

(define-minor-mode linewright-mode
  "Inline suggestions, telemetry and item commands for Linewright buffers."
  :lighter " LW"
  (if linewright-mode
      (progn
        (add-hook 'post-command-hook #'linewright--after-command nil t)
        (add-to-list 'emulation-mode-map-alists 'linewright--keymaps)
        (setq-local completion-at-point-functions
                    (cons #'linewright-completion-at-point
                          (remq #'eglot-completion-at-point
                                completion-at-point-functions))))
    (remove-hook 'post-command-hook #'linewright--after-command t)
    (linewright--hide)
    (setq-local completion-at-point-functions
                (remq #'linewright-completion-at-point
                      completion-at-point-functions))))

(defun linewright--maybe-enable ()
  "Turn `linewright-mode' on in buffers eglot manages with a Linewright server."
  (linewright-mode (if (and (bound-and-true-p eglot--managed-mode)
                            (linewright--server))
                       1 -1)))

(add-hook 'eglot-managed-mode-hook #'linewright--maybe-enable)

;;;; Commands

(defun linewright--command (name arguments on-result &optional timeout)
  "Run server command NAME with ARGUMENTS; call ON-RESULT with its answer.
Asynchronous: Emacs keeps working meanwhile (TIMEOUT seconds at most).
A RequestFailed answer (-32803) was shown by the server itself."
  (jsonrpc-async-request
   (or (linewright--server) (user-error "Linewright is not running here"))
   :workspace/executeCommand
   (list :command (linewright--contract-id "commands" name) :arguments (vconcat arguments))
   :timeout (or timeout 600)
   :success-fn on-result
   :error-fn (lambda (error)
               (unless (eql (plist-get error :code) -32803)
                 (message "Linewright: %s failed: %s" name (plist-get error :message))))
   :timeout-fn (lambda () (message "Linewright: %s timed out" name))))

(defun linewright-stats ()
  "Show suggestion acceptance rates from the local telemetry."
  (interactive)
  (linewright--command "linewright.telemetryStats" nil
                       (lambda (result)
                         (with-help-window "*linewright stats*"
                           (princ (plist-get result :text))))))

(defvar linewright-generate-tests-hook nil
  "Run with the command's answer (a plist) after Generate tests finished.")

(defun linewright--tests-done (result)
  "Show the test file of RESULT (Generate tests' answer) in another window."
  (let ((file (plist-get result :file)))
    (when (and (stringp file) (plist-get result :applied))
      (make-directory (file-name-directory file) t)
      (display-buffer (find-file-noselect file))))
  (run-hook-with-args 'linewright-generate-tests-hook result))

(defun linewright-generate-tests ()
  "Generate tests for the code at point, in the background.
Progress shows in the mode line (eglot shows the server's $/progress);
the new test file opens in another window."
  (interactive)
  (let ((params (eglot--TextDocumentPositionParams)))
    (linewright--command "linewright.generateTests"
                         (list (plist-get (plist-get params :textDocument) :uri)
                               (plist-get params :position))
                         #'linewright--tests-done)
    (message "Linewright: generating tests in the background...")))

(defun linewright-flag-file ()
  "Ask the server to flag anomalous lines in this file."
  (interactive)
  (linewright--command "linewright.flagFile"
                       (list (eglot--path-to-uri buffer-file-name))
                       (lambda (result)
                         (message "Linewright: %s of %s lines flagged"
                                  (plist-get result :flagged) (plist-get result :judged)))))

(linewright-register)

(provide 'linewright)
;;; linewright.el ends here

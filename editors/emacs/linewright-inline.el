;;; linewright-inline.el --- Linewright's inline suggestion overlay  -*- lexical-binding: t; -*-

;;; Commentary:

;; Part of linewright.el (which loads it): the suggestion from
;; textDocument/inlineCompletion shown as an overlay at point, TAB to accept it,
;; C-<return> to accept its first line, C-g to hide it, and the telemetry
;; notifications that go with it.

;;; Code:

(require 'eglot)
(require 'jsonrpc)

(declare-function linewright--server "linewright")
(declare-function linewright--id "linewright")
(declare-function linewright--utf16-length "linewright")
(declare-function linewright--report-shown "linewright")
(declare-function linewright--run-command "linewright")

(defcustom linewright-idle-delay 0.4
  "Idle seconds after typing before asking for a suggestion; nil: on demand."
  :type '(choice (const :tag "Only with `linewright-complete'" nil) number)
  :group 'linewright)

(defface linewright-suggestion-face '((t :inherit shadow))
  "Face of the inline suggestion."
  :group 'linewright)

;;;; Inline suggestions

(defvar-local linewright--overlay nil "The overlay showing the suggestion.")
(defvar-local linewright--item nil "The inline completion item being shown.")
(defvar-local linewright--timer nil "Idle timer of the next automatic request.")

(defvar linewright-suggestion-map
  (let ((map (make-sparse-keymap)))
    (define-key map (kbd "TAB") #'linewright-accept)
    (define-key map (kbd "<tab>") #'linewright-accept)
    (define-key map (kbd "C-<return>") #'linewright-accept-line)
    (define-key map (kbd "C-g") #'linewright-dismiss)
    map)
  "Keys active while a suggestion is shown.")

(defvar-local linewright--showing nil "Non-nil while a suggestion is shown.")
(defvar-local linewright--keymaps
  `((linewright--showing . ,linewright-suggestion-map))
  "For `emulation-mode-map-alists': the suggestion keys win while one shows.")

(defun linewright--show (item)
  "Display ITEM's text as an overlay at point and report it shown."
  (linewright--hide)
  (let* ((text (plist-get item :insertText))
         (text (if (stringp text) text (plist-get text :value)))
         (shown (propertize text 'face 'linewright-suggestion-face)))
    (unless (string-empty-p text)
      (put-text-property 0 1 'cursor t shown)
      (setq linewright--overlay (make-overlay (point) (point) nil t nil)
            linewright--item item
            linewright--showing t)
      (overlay-put linewright--overlay 'after-string shown)
      (linewright--report-shown (linewright--server) (linewright--id item)))))

(defun linewright--hide ()
  "Remove the suggestion overlay."
  (when linewright--overlay
    (delete-overlay linewright--overlay))
  (setq linewright--overlay nil linewright--item nil linewright--showing nil))

(defun linewright--item-text (item)
  "The text ITEM inserts."
  (let ((text (plist-get item :insertText)))
    (if (stringp text) text (plist-get text :value))))

(defun linewright-complete (&optional automatic)
  "Ask the server for an inline suggestion at point.
AUTOMATIC non-nil means typing triggered the request."
  (interactive)
  (let ((server (linewright--server))
        (buffer (current-buffer))
        (tick (buffer-chars-modified-tick))
        (pos (point)))
    (when server
      (jsonrpc-async-request
       server :textDocument/inlineCompletion
       (append (eglot--TextDocumentPositionParams)
               (list :context (list :triggerKind (if automatic 2 1))))
       :deferred :textDocument/inlineCompletion
       :success-fn
       (lambda (result)
         (when (buffer-live-p buffer)
           (with-current-buffer buffer
             (let ((items (if (vectorp result) result
                            (plist-get result :items))))
               (when (and (> (length items) 0)
                          (= tick (buffer-chars-modified-tick))
                          (= pos (point)))
                 (linewright--show (aref items 0)))))))))))

(defun linewright-accept ()
  "Insert the shown suggestion and tell the server it was accepted."
  (interactive)
  (let ((item linewright--item)
        (start (and linewright--overlay (overlay-start linewright--overlay))))
    (linewright--hide)
    (when item
      (goto-char start)
      (insert (linewright--item-text item))
      (when (plist-get item :command)
        (linewright--run-command (linewright--server)
                                 (plist-get item :command))))))

(defun linewright-accept-line ()
  "Insert the suggestion up to the end of its first non-blank line."
  (interactive)
  (let* ((item linewright--item)
         (text (and item (linewright--item-text item)))
         (line (and text (string-match "\\`\n*[^\n]*" text)
                    (match-string 0 text))))
    (cond ((null item))
          ((equal line text) (linewright-accept))
          (t (let ((start (overlay-start linewright--overlay)))
               (linewright--hide)
               (goto-char start)
               (insert line)
               (jsonrpc-notify
                (linewright--server) :linewright/didPartiallyAcceptCompletion
                (list :id (linewright--id item)
                      :acceptedLength (linewright--utf16-length line))))))))

(defun linewright-dismiss ()
  "Hide the suggestion.
The server counts it rejected once the document moves on."
  (interactive)
  (linewright--hide))

(defun linewright--after-command ()
  "Hide a suggestion the last command made stale; schedule the next request."
  (unless (memq this-command
                '(linewright-accept linewright-accept-line linewright-complete))
    (when (and linewright--overlay
               (/= (point) (overlay-start linewright--overlay)))
      (linewright--hide))
    (when (and linewright-idle-delay
               (memq this-command '(self-insert-command newline)))
      (when linewright--timer (cancel-timer linewright--timer))
      (let ((buffer (current-buffer)))
        (setq linewright--timer
              (run-with-idle-timer linewright-idle-delay nil
                                   (lambda () (when (eq buffer (current-buffer))
                                                (linewright-complete t)))))))))

(provide 'linewright-inline)
;;; linewright-inline.el ends here

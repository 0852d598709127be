;;; linewright-inline.el --- Linewright's inline suggestion overlay  -*- lexical-binding: t; -*-

;;; Commentary:

;; Part of linewright.el (which loads it): the suggestion from
;; textDocument/inlineCompletion shown as an overlay at point, TAB to accept it,
;; M-RET (or C-<return> in a graphical frame) to accept its first line, M-f its
;; next word, C-g to hide it, and the telemetry notifications that go with it.
;;
;; The overlay never outlives its text: it remembers the line before the
;; suggestion's start, and after every command it shows what is left of the
;; suggestion past what was typed along (no flicker), or goes when the text
;; no longer leads to it (Backspace, a different character, another line).

;;; Code:

(require 'eglot)
(require 'jsonrpc)

(declare-function linewright--server "linewright")
(declare-function linewright--id "linewright")
(declare-function linewright--utf16-length "linewright")
(declare-function linewright--report-shown "linewright")
(declare-function linewright--run-command "linewright")
(declare-function linewright--method "linewright")

(defcustom linewright-idle-delay 0.4
  "Idle seconds after typing before asking for a suggestion; nil: on demand."
  :type '(choice (const :tag "Only with `linewright-complete'" nil) number)
  :group 'linewright)

(defface linewright-suggestion-face
  '((((min-colors 88)) :inherit shadow :slant italic)
    (t :foreground "brightblack" :slant italic))
  "Face of the inline suggestion."
  :group 'linewright)

;;;; Inline suggestions

(defvar-local linewright--overlay nil "The overlay showing the suggestion.")
(defvar-local linewright--item nil "The inline completion item being shown.")
(defvar-local linewright--timer nil "Idle timer of the next automatic request.")
(defvar-local linewright--start nil "Where the suggestion starts (a position).")
(defvar-local linewright--before nil
  "The line's text before `linewright--start' when the suggestion came.")

(defvar linewright-suggestion-map
  (let ((map (make-sparse-keymap)))
    (define-key map (kbd "TAB") #'linewright-accept)
    (define-key map (kbd "<tab>") #'linewright-accept)
    ;; a terminal cannot send C-<return>; M-RET arrives there as ESC RET
    (define-key map (kbd "M-RET") #'linewright-accept-line)
    (define-key map (kbd "C-<return>") #'linewright-accept-line)
    (define-key map (kbd "M-f") #'linewright-accept-word)
    (define-key map (kbd "C-g") #'linewright-dismiss)
    map)
  "Keys active while a suggestion is shown.")

(defvar-local linewright--showing nil "Non-nil while a suggestion is shown.")
(defvar-local linewright--keymaps
  `((linewright--showing . ,linewright-suggestion-map))
  "For `emulation-mode-map-alists': the suggestion keys win while one shows.")

(defun linewright--item-text (item)
  "The text ITEM inserts."
  (let ((text (plist-get item :insertText)))
    (if (stringp text) text (plist-get text :value))))

(defun linewright--typed ()
  "What was typed since the suggestion came, or nil when the text left it."
  (and linewright--start
       (<= linewright--start (point))
       (save-excursion
         (goto-char linewright--start)
         (equal (buffer-substring-no-properties (line-beginning-position) (point))
                linewright--before))
       (let ((typed (buffer-substring-no-properties linewright--start (point))))
         (and (string-prefix-p typed (linewright--item-text linewright--item))
              typed))))

(defun linewright--rest ()
  "What is left of the suggestion to insert at point (nil: none is valid)."
  (let ((typed (and linewright--item (linewright--typed))))
    (and typed (substring (linewright--item-text linewright--item) (length typed)))))

(defun linewright--draw (rest)
  "Show REST after point (the overlay moves along with typing)."
  (let ((shown (propertize rest 'face 'linewright-suggestion-face)))
    (put-text-property 0 1 'cursor t shown)
    (if linewright--overlay
        (move-overlay linewright--overlay (point) (point))
      (setq linewright--overlay (make-overlay (point) (point) nil t nil)))
    (overlay-put linewright--overlay 'after-string shown)))

(defun linewright--show (item)
  "Display ITEM's text as an overlay at point and report it shown."
  (linewright--hide)
  (let ((text (linewright--item-text item)))
    (unless (string-empty-p text)
      (setq linewright--item item
            linewright--start (point)
            linewright--before (buffer-substring-no-properties
                                (line-beginning-position) (point))
            linewright--showing t)
      (linewright--draw text)
      (linewright--report-shown (linewright--server) (linewright--id item)))))

(defun linewright--hide ()
  "Remove the suggestion overlay."
  (when linewright--overlay
    (delete-overlay linewright--overlay))
  (setq linewright--overlay nil linewright--item nil linewright--showing nil
        linewright--start nil linewright--before nil))

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

(defun linewright--take (part)
  "Insert PART of what is left of the suggestion; report how much was taken."
  (let* ((item linewright--item)
         (typed (linewright--typed))
         (whole (equal part (linewright--rest))))
    (linewright--hide)
    (insert part)
    (if whole
        (when (plist-get item :command)
          (linewright--run-command (linewright--server) (plist-get item :command)))
      (jsonrpc-notify
       (linewright--server)
       (linewright--method "linewright/didPartiallyAcceptCompletion")
       (list :id (linewright--id item)
             :acceptedLength (linewright--utf16-length (concat typed part)))))))

(defun linewright-accept ()
  "Insert the shown suggestion and tell the server it was accepted."
  (interactive)
  (let ((rest (linewright--rest)))
    (if rest (linewright--take rest) (linewright--hide))))

(defun linewright-accept-line ()
  "Insert the suggestion up to the end of its first non-blank line."
  (interactive)
  (let ((rest (linewright--rest)))
    (if (and rest (string-match "\\`\n*[^\n]*" rest))
        (linewright--take (match-string 0 rest))
      (linewright--hide))))

(defun linewright-accept-word ()
  "Insert the suggestion up to the end of its next word."
  (interactive)
  (let ((rest (linewright--rest)))
    (if (and rest (string-match "\\`\\W*\\w*" rest) (> (match-end 0) 0))
        (linewright--take (match-string 0 rest))
      (linewright--hide))))

(defun linewright-dismiss ()
  "Hide the suggestion.
The server counts it rejected once the document moves on."
  (interactive)
  (linewright--hide))

(defun linewright--after-command ()
  "Keep the suggestion in step with the text, or drop it; schedule a request."
  (unless (memq this-command '(linewright-accept linewright-accept-line
                               linewright-accept-word linewright-complete))
    (when linewright--overlay
      (let ((rest (linewright--rest)))
        (if (and rest (not (string-empty-p rest)))
            (linewright--draw rest)     ; typed along: keep it, no flicker
          (linewright--hide))))
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

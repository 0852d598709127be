; Linewright context captures for Verilog and SystemVerilog; see core/syntax/nodes.py.
; @lw.definition spans a whole declaration and @lw.name is its name. With no body nodes
; in this grammar, @lw.header marks where the header ends instead of @lw.body: the
; header runs from the declaration's start to the end of the earliest @lw.header node
; (the first ";" of a declaration, or an interface's whole header).

; Imports
[
  (include_compiler_directive)
  (package_import_declaration)
] @lw.import

; Definitions
(module_declaration
  (module_header
    (simple_identifier) @lw.name)
  ";" @lw.header) @lw.definition

(interface_declaration
  [
    (interface_ansi_header
      (interface_identifier) @lw.name)
    (interface_nonansi_header
      (interface_identifier) @lw.name)
  ] @lw.header) @lw.definition

(package_declaration
  (package_identifier) @lw.name
  ";" @lw.header) @lw.definition

(class_declaration
  (class_identifier) @lw.name
  ";" @lw.header) @lw.definition

(function_declaration
  (function_body_declaration
    (function_identifier) @lw.name
    ";" @lw.header)) @lw.definition

(task_declaration
  (task_body_declaration
    (task_identifier) @lw.name
    ";" @lw.header)) @lw.definition

(class_constructor_declaration
  ";" @lw.header) @lw.definition

; Blocks
[
  (seq_block)
  (par_block)
  (generate_block)
] @lw.block

; Statements
[
  (statement)
  (function_statement)
  (continuous_assign)
  (data_declaration)
  (net_declaration)
  (port_declaration)
  (parameter_declaration)
  (local_parameter_declaration)
  (module_instantiation)
  (always_construct)
  (initial_construct)
  (final_construct)
] @lw.statement

; Strings
[
  (string_literal)
  (double_quoted_string)
] @lw.string

; Comments
(comment) @lw.comment

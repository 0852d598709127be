-- Ghost text through vim.lsp.inline_completion (Neovim 0.12+), plus the telemetry that
-- Neovim does not send itself: "shown" when an item is displayed, "partially accepted"
-- for accept-line. Full acceptance runs the item's command (linewright.didAccept).

local lw = require('linewright')

local M = {}

local INLINE = 'textDocument/inlineCompletion'

--- Report the item Neovim displays: it shows the first item of each answer.
local function watch_answers(client)
  if client._linewright_watched then
    return
  end
  client._linewright_watched = true
  local request = client.request
  client.request = function(self, method, params, handler, bufnr)
    if method == INLINE and handler then
      local inner = handler
      handler = function(err, result, ctx, config)
        inner(err, result, ctx, config)
        local items = result and (result.items or result) or {}
        if not err and items[1] then
          lw.notify_shown(self, lw.suggestion_id(items[1]))
        end
      end
    end
    return request(self, method, params, handler, bufnr)
  end
end

--- Insert `text` at the item's start (else the cursor) and put the cursor after it.
local function insert(item, bufnr, text)
  local row, col = unpack(vim.api.nvim_win_get_cursor(0))
  row = row - 1
  if item.range then
    row, col = item.range.start.row, item.range.start.col
  end
  local lines = vim.split(text, '\n', { plain = true })
  vim.api.nvim_buf_set_text(bufnr, row, col, row, col, lines)
  local last = #lines == 1 and col + #lines[1] or #lines[#lines]
  vim.api.nvim_win_set_cursor(0, { row + #lines, last })
end

--- Insert the suggestion up to the end of its first non-blank line; the rest is dropped.
--- A one-line suggestion is accepted whole (its command runs).
function M.accept_line_of(client, item, bufnr)
  local text = type(item.insert_text) == 'string' and item.insert_text or item.insert_text.value
  local line = text:match('^\n*[^\n]*')
  insert(item, bufnr, line)
  if line == text then
    if item.command then
      client:exec_cmd(item.command, { bufnr = bufnr })
    end
  else
    lw.notify_partial(client, lw.suggestion_id(item), vim.str_utfindex(line, 'utf-16'))
  end
end

--- Accept the whole suggestion (runs its command); false when none is displayed.
function M.accept()
  return vim.lsp.inline_completion.get()
end

--- Accept only the suggestion's first line; false when none is displayed.
function M.accept_line()
  local bufnr = vim.api.nvim_get_current_buf()
  local client = lw.client(bufnr)
  return vim.lsp.inline_completion.get({
    on_accept = function(item)
      if client and lw.suggestion_id(item) then
        M.accept_line_of(client, item, bufnr)
      end
    end,
  })
end

--- Hide the suggestion (the server counts it rejected once the document moves on).
function M.dismiss()
  return vim.lsp.inline_completion.get({ on_accept = function() end })
end

local function map(bufnr, lhs, action)
  if not lhs then
    return
  end
  vim.keymap.set('i', lhs, function()
    if not action() then
      return vim.keycode(lhs)
    end
  end, { buffer = bufnr, expr = true, desc = 'Linewright suggestion' })
end

function M.attach(client, bufnr, keymaps)
  watch_answers(client)
  vim.lsp.inline_completion.enable(true, { bufnr = bufnr })
  map(bufnr, keymaps.accept, M.accept)
  map(bufnr, keymaps.accept_line, M.accept_line)
  map(bufnr, keymaps.dismiss, M.dismiss)
end

return M

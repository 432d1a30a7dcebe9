//===- DeallocAfterLastUse.cpp - free buffers after their last use --------===//
//
// This file implements tern-dealloc-after-last-use: memref.dealloc ops that
// bufferization placed at the end of a block move up to just after the last
// use of their buffer, so that intermediate buffers do not all live at once.
//
//===----------------------------------------------------------------------===//

#include "tern/Transforms/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::tern {
#define GEN_PASS_DEF_DEALLOCAFTERLASTUSE
#include "tern/Transforms/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;

namespace {

/// The last op of `block` that uses `buffer` or a view of it (uses nested
/// in regions count as their ancestor in `block`), or null if some use
/// could make the buffer escape: a memref result that is not a view, or an
/// op outside `block`.
Operation *lastUse(Value buffer, Block *block, Operation *dealloc) {
  Operation *last = nullptr;
  SmallVector<Value> worklist = {buffer};
  while (!worklist.empty()) {
    Value value = worklist.pop_back_val();
    for (Operation *user : value.getUsers()) {
      if (user == dealloc)
        continue;
      if (isa<memref::DeallocOp>(user))
        return nullptr;
      if (isa<ViewLikeOpInterface>(user)) {
        worklist.push_back(user->getResult(0));
      } else if (llvm::any_of(user->getResultTypes(), [](Type type) {
                   return isa<BaseMemRefType>(type);
                 })) {
        return nullptr;
      }
      Operation *ancestor = block->findAncestorOpInBlock(*user);
      if (!ancestor || isa<func::ReturnOp>(ancestor) ||
          isa<CallOpInterface>(ancestor))
        return nullptr;
      if (!last || last->isBeforeInBlock(ancestor))
        last = ancestor;
    }
  }
  return last;
}

struct DeallocAfterLastUsePass
    : public tern::impl::DeallocAfterLastUseBase<DeallocAfterLastUsePass> {
  void runOnOperation() override {
    SmallVector<memref::DeallocOp> deallocs;
    getOperation().walk(
        [&](memref::DeallocOp dealloc) { deallocs.push_back(dealloc); });
    for (memref::DeallocOp dealloc : deallocs) {
      Value buffer = dealloc.getMemref();
      auto alloc = buffer.getDefiningOp<memref::AllocOp>();
      Block *block = dealloc->getBlock();
      if (!alloc || alloc->getBlock() != block)
        continue;
      Operation *last = lastUse(buffer, block, dealloc);
      if (last && last->isBeforeInBlock(dealloc))
        dealloc->moveAfter(last);
    }
  }
};

} // namespace

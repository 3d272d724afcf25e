/* placeholder: the inventory module (issue 3) */
#ifndef CN_INVENTORY_H
#define CN_INVENTORY_H
struct inventory;
#endif
